# gohazard as a container image: `docker build -t gohazard .`, then, in a Go repository,
# `docker run --rm -v "$PWD:/src" gohazard check ./...` (see docs/ci.md).
#
# Build stage: tree-sitter is a native module; Debian 12's libstdc++ is too old for its prebuilt binary,
# so it is compiled here, with the toolchain the final image does not carry.
FROM node:22-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# npm 11 runs the install scripts package.json allows (allowScripts), and no others.
RUN npm install -g npm@11 --no-audit --no-fund
COPY package.json package-lock.json tsconfig.json ./
COPY bin bin
COPY src src
COPY rules rules
COPY docs docs
# `prepare` builds dist/; the dev dependencies it needs are pruned after.
RUN npm ci --omit=optional --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# Final stage: Node and git (for --new-from-rev and the repository root), the built code, nothing else.
# The mounted repository belongs to another user than the image's: git is told to read it anyway.
FROM node:22-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*'
COPY --from=build /build/package.json /opt/gohazard/package.json
COPY --from=build /build/bin /opt/gohazard/bin
COPY --from=build /build/dist /opt/gohazard/dist
COPY --from=build /build/rules /opt/gohazard/rules
COPY --from=build /build/docs /opt/gohazard/docs
COPY --from=build /build/node_modules /opt/gohazard/node_modules
RUN ln -s /opt/gohazard/bin/gohazard.js /usr/local/bin/gohazard
# The node image's unprivileged user; the summary cache goes to its home.
USER node
WORKDIR /src
ENTRYPOINT ["gohazard"]
CMD ["check", "./..."]
