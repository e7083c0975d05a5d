# EZ Platform's image: one static binary on a distroless base, run as a
# non-root user. Build it from the repository root:
#
#   docker build -t registry.example.com/ezplatform:v1.2.3 .
#
# The web app's build is committed (web/dist) and embedded, so no Node here.
# deploy/dockerfile_test.go checks the rules this file follows.

FROM golang:1.26 AS build
WORKDIR /src
# A static binary (no libc to match on the runtime image), built with the Go
# of this image rather than one go.mod might ask to download.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath
# Modules first, in their own layer: it stays cached until go.mod changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build

# distroless/static: CA certificates (for PostgreSQL and etcd over TLS) and
# /etc/passwd with the nonroot user, nothing else. Time zones are embedded in
# the binary.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/ezplatform /usr/local/bin/ezplatform
USER 65532:65532
# Inside a container the replica must listen on every interface.
ENV EZ_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ezplatform"]
CMD ["serve"]
