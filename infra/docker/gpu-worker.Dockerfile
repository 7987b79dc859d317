# syntax=docker/dockerfile:1
# The self-hosted GPU image: the same `rft` executable as host.Dockerfile, with libtorch's CUDA build from the public
# NuGet package TorchSharp-cuda-linux in place of the CPU build, for `rft worker` containers on GPU machines outside
# Azure Functions (the Function App's GPU image is functionapp.Dockerfile's training target). Our CI cannot build or
# run this image (the CUDA packages are not obtainable from its package mirror and it has no GPU); build it by hand:
#   docker build -f infra/docker/gpu-worker.Dockerfile -t rft-gpu-worker .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props .editorconfig ./
COPY build/ build/
COPY host.json local.settings.sample.json ./
COPY src/ src/
# The host turns local.settings.sample.json into local.settings.json on start (a developer convenience); in a
# container that would point AzureWebJobsStorage at Azurite and shadow the managed-identity settings.
RUN dotnet publish src/RftFunctions.Functions/RftFunctions.Functions.csproj -c Release -r linux-x64 --self-contained false -o /app \
 && rm -f /app/local.settings.sample.json /app/local.settings.json

# The CUDA natives, restored in a project of their own (outside the repository's central package management). The
# libtorch-cuda packages are split into parts that their build targets join, so a publish is the way to get the files.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS cuda
WORKDIR /cuda
COPY infra/docker/gpu/TorchSharpCuda.csproj ./
RUN dotnet publish TorchSharpCuda.csproj -c Release -r linux-x64 --self-contained false -o /cuda/out \
 && test -f /cuda/out/libtorch_cuda.so

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# The python grader sandbox (docs/grader-sandbox.md): bubblewrap, and the distribution's /usr/bin/python3 that runs
# inside it. The app runs as $APP_UID (not root), so bwrap runs unprivileged and needs user namespaces from the
# container runtime; when it cannot set them up the host refuses python graders and `rft doctor` says why.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap python3 \
 && rm -rf /var/lib/apt/lists/*
# libtorch ships its own OpenMP runtime (libgomp-*.so) among the published files: the base image needs nothing more.
WORKDIR /app
COPY --from=build /app ./
# Overlay: the CUDA build's libtorch/libc10/LibTorchSharp replace the CPU ones (same TorchSharp version, checked by
# the infra tests), and the CUDA libraries it needs come along. The managed TorchSharp.dll stays the app's.
COPY --from=cuda /cuda/out/*.so* ./
# The driver comes from the host (Container Apps GPU profiles inject it). Rft__Device=cuda puts rollouts and policy
# updates on the GPU; the app refuses to start when the CUDA build or the device is missing (rft doctor says which).
ENV ASPNETCORE_URLS=http://+:8080 \
    RFT_ROOT=/app \
    Rft__EmbeddedAzurite=false \
    Rft__Device=cuda \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    DOTNET_gcServer=1
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "rft.dll"]
CMD ["host"]
