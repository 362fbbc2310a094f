# cardsim as a container: build with the same set-up script as the README, run from a slim image.
#   docker build -t cardsim .
#   docker run --rm -p 4566:4566 -p 8080:8080 -p 8090:8090 -v cardsim-data:/data cardsim
# (or: docker compose up)

# --- build stage ---------------------------------------------------------------------------------
FROM debian:12 AS build
WORKDIR /src
COPY . .
# Only the binary is needed here: skip the test tools (python/boto3/aws CLI, wrk) and build the one
# target. Strip the debug info out of the copy that goes into the runtime image.
RUN CARDSIM_SKIP_TEST_TOOLS=1 CARDSIM_JOBS="$(nproc)" bash scripts/setup.sh cardsim \
 && install -D -m 0755 build/cardsim /out/cardsim \
 && strip --strip-unneeded /out/cardsim \
 && ldd /out/cardsim

# --- runtime stage -------------------------------------------------------------------------------
FROM debian:12-slim
# The shared libraries the binary links (ldd: libsqlite3, libspdlog, libfmt, libstdc++, libgcc_s;
# Boost is header-only here) plus libssl3 for libcrypto, which the build requires (find_package
# OpenSSL Crypto) for SigV4. libstdc++6/libgcc-s1 are already in the base image. tzdata provides
# /usr/share/zoneinfo, which Scheduler's ScheduleExpressionTimezone reads (TZif files).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-0 libspdlog1.10 libfmt9 libssl3 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --uid 10001 --home-dir /data --no-create-home \
            --shell /usr/sbin/nologin cardsim \
 && mkdir -p /data && chown cardsim:cardsim /data
COPY --from=build /out/cardsim /usr/local/bin/cardsim
# Fail the image build, not the first start, if a shared library is missing.
RUN ! ldd /usr/local/bin/cardsim | grep 'not found'

USER cardsim
WORKDIR /data
VOLUME /data
# 4566 AWS edge (S3, SQS, Step Functions, scheduler), 8080 platform front APIs, 8090 fakes.
EXPOSE 4566 8080 8090
# No curl in this image: bash's /dev/tcp sends one GET and checks the status line.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/4566 && printf 'GET /_sim/health HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r -t 2 status <&3 && [[ $status == HTTP/*' 200 '* ]]"]
ENTRYPOINT ["cardsim"]
CMD ["serve", "--bind", "0.0.0.0", "--data-dir", "/data"]
