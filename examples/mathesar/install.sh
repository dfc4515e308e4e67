#!/usr/bin/env bash
set -e
clear -x
github_tag=${1-"0.1.2"}
min_maj_docker_version=20
min_maj_docker_compose_version=2
min_min_docker_compose_version=7

printf "Installing Mathesar %s\n" "$github_tag"
if ! command -v docker >/dev/null; then
  printf "Docker is required. See https://docs.docker.com/get-docker/\n"
  exit 1
fi
mkdir -p "${MATHESAR_DIR:-/etc/mathesar}"
cd "${MATHESAR_DIR:-/etc/mathesar}"
curl -sfSL -o docker-compose.yml \
  "https://raw.githubusercontent.com/centerofci/mathesar/$github_tag/docker-compose.yml"
docker compose --profile prod up -d --wait
printf "Mathesar is running. Log in at http://localhost/\n"
