# syntax=docker/dockerfile:1
# The RftFunctions host image (CPU): the `rft` executable with the CPU build of libtorch. One image serves the API,
# the orchestrations and the cpu worker pool; Rft__Roles chooses. Build from the repository root:
#   docker build -f infra/docker/host.Dockerfile -t rft-host .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props .editorconfig ./
COPY build/ build/
COPY host.json local.settings.sample.json ./
COPY src/ src/
RUN dotnet publish src/RftFunctions.Functions/RftFunctions.Functions.csproj -c Release -r linux-x64 --self-contained false -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# libtorch's CPU kernels use OpenMP.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
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
