# syntax=docker/dockerfile:1
# The Function App image: the Azure Functions host (Microsoft's dotnet-isolated base image) with the publish output of
# src/RftFunctions.FunctionApp in /home/site/wwwroot. ONE publish, two targets:
#   api       (default)  the CPU build of libtorch (chat completions for ft: models run on the API's CPU)
#   training             the same files with libtorch's CUDA build laid over the CPU one, Rft__Device=cuda
# azd builds both (azure.yaml: services api and training). By hand, from the repository root:
#   docker build -f infra/docker/functionapp.Dockerfile --target api -t rft-functions-api .
#   docker build -f infra/docker/functionapp.Dockerfile --target training -t rft-functions-training .
# Our CI cannot build images (no Docker engine, no CUDA packages in its mirror); the infra tests check this file.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props .editorconfig ./
COPY build/ build/
COPY host.json local.settings.sample.json ./
COPY src/ src/
# The repository's host.json is the Function App's. A local.settings.json in the image would point AzureWebJobsStorage
# at Azurite ahead of the managed-identity settings. functions.metadata and .azurefunctions/ are what the host indexes:
# their absence would start a host with no functions, so the build stops here instead.
RUN dotnet publish src/RftFunctions.FunctionApp/RftFunctions.FunctionApp.csproj -c Release -r linux-x64 --self-contained false -o /app \
 && rm -f /app/local.settings.sample.json /app/local.settings.json \
 && test -f /app/host.json && test -f /app/functions.metadata && test -d /app/.azurefunctions

# The CUDA natives, restored in a project of their own (outside the repository's central package management). The
# libtorch-cuda packages are split into parts that their build targets join, so a publish is the way to get the files.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS cuda
WORKDIR /cuda
COPY infra/docker/gpu/TorchSharpCuda.csproj ./
RUN dotnet publish TorchSharpCuda.csproj -c Release -r linux-x64 --self-contained false -o /cuda/out \
 && test -f /cuda/out/libtorch_cuda.so

FROM mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated10.0 AS runtime
# The python grader sandbox (docs/grader-sandbox.md): bubblewrap, and the distribution's /usr/bin/python3 that runs
# inside it. The Functions host runs as root in this image, so the sandbox drops to an unprivileged uid through setpriv
# (util-linux) before bwrap; it needs user namespaces from the container runtime, and when it cannot set them up the
# app refuses python graders and `rft doctor` says why.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap python3 util-linux \
 && rm -rf /var/lib/apt/lists/*
ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    FUNCTIONS_WORKER_RUNTIME=dotnet-isolated \
    RFT_ROOT=/home/site/wwwroot \
    Rft__EmbeddedAzurite=false \
    DOTNET_gcServer=1
COPY --from=build /app /home/site/wwwroot
# The build patches TorchSharp's native library only where the build image's libstdc++ lacks GLIBCXX_3.4.32
# (docs/torchsharp-native-fix.md); the Functions base image may ship an older libstdc++ than the SDK image. Fail the
# image build, not the first rollout, when the runtime cannot load the library as built.
RUN if LD_LIBRARY_PATH=/home/site/wwwroot ldd /home/site/wwwroot/libLibTorchSharp.so 2>&1 | grep -q "not found"; then \
      LD_LIBRARY_PATH=/home/site/wwwroot ldd /home/site/wwwroot/libLibTorchSharp.so; \
      echo "libLibTorchSharp.so cannot load on this base image (see docs/torchsharp-native-fix.md)"; exit 1; \
    fi

FROM runtime AS training
# Overlay: the CUDA build's libtorch/libc10/LibTorchSharp replace the CPU ones (same TorchSharp version, checked by
# the infra tests), and the CUDA libraries they need come along. The managed TorchSharp.dll stays the app's.
COPY --from=cuda /cuda/out/*.so* /home/site/wwwroot/
# The driver comes from the node (Container Apps GPU profiles inject it). Rft__Device=cuda puts rollouts and policy
# updates on the GPU; the app refuses to start when the CUDA build or the device is missing (rft doctor says which).
ENV Rft__Device=cuda \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

# Last, so a plain `docker build` gives the CPU image (no CUDA restore needed).
FROM runtime AS api
ENV Rft__Device=cpu
