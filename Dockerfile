# syntax=docker/dockerfile:1
# Livepost in a container: Debian 12, the launcher's packages, a non-root server.
# Not built by this repository's CI (no container engine there); see the README,
# "Running in a container", and compose.yaml for the options bubblewrap needs.
# ContainerRecipeTest checks that every file copied here exists and that the packages
# installed here are the launcher's lists (./livepost: JDK_NEEDS, RUN_NEEDS, BUILD_NEEDS).

# ---- Build: the jar, as the launcher builds it ----
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      default-jdk-headless maven nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pom.xml ./
COPY frontend/package.json frontend/package-lock.json frontend/install.mjs frontend/build.mjs frontend/
COPY frontend/src frontend/src
COPY src/main src/main
RUN mvn -B -q -DskipTests -Dmaven.test.skip=true package

# ---- Run: a JDK, the sandbox's packages, no build tools ----
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      default-jdk-headless \
      bubblewrap util-linux uidmap python3 python3-numpy python3-pandas python3-matplotlib \
      fonts-dejavu-core nodejs openjdk-17-jdk-headless \
 && rm -rf /var/lib/apt/lists/*
# The server runs as this user; each sandbox is a bubblewrap launch in a user namespace of its own.
RUN useradd --system --create-home --home-dir /var/lib/livepost --shell /usr/sbin/nologin livepost
COPY --from=build /src/target/livepost.jar /opt/livepost/livepost.jar
COPY posts /opt/livepost/posts
USER livepost
ENV LIVEPOST_HOST=0.0.0.0 \
    LIVEPOST_DATA=/var/lib/livepost
VOLUME /var/lib/livepost
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s \
  CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
ENTRYPOINT ["java", "-Dlivepost.home=/opt/livepost", "-jar", "/opt/livepost/livepost.jar"]
CMD ["serve"]
