# syntax=docker/dockerfile:1
# The self-hosted image (CPU): the `rft` executable with the CPU build of libtorch, for deployments without Azure
# Functions (any container host with a storage account or Azurite). Rft__Roles chooses what a container does: all (the
# default), api (HTTP only, no worker) or worker (every orchestrator and activity). Azure deployments use the Function
# App image instead (functionapp.Dockerfile, docs/deploy.md). Build from the repository root:
#   docker build -f infra/docker/host.Dockerfile -t rft-host .

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
# RFT_ROOT: host.json ships next to the binary. Storage comes from the deployment (managed identity), never Azurite.
ENV ASPNETCORE_URLS=http://+:8080 \
    RFT_ROOT=/app \
    Rft__EmbeddedAzurite=false \
    DOTNET_gcServer=1
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "rft.dll"]
CMD ["host"]
