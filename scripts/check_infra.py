#!/usr/bin/env python3
"""Offline checks of infra/: every Terraform file parses (python-hcl2), every YAML and JSON file
parses, and the compose file keeps Orion's deployment rules, which no general scanner knows:

- images pinned to a version (no `latest`, no bare name), built images excepted;
- no privileged containers, no host network or PID namespace, no Docker socket;
- every container drops all capabilities and sets no-new-privileges;
- Orion's own containers run with a read-only root file system;
- published ports bind to 127.0.0.1 only (the proxy, Prometheus and Grafana);
- no secret in the file: any variable named like a password, secret or token, and any URL
  with credentials, takes its value from the caller's environment (`${VAR:?…}`);
- every service has a health check;
- every bind-mounted path exists, and the proxy's upstreams and Prometheus's targets name
  services that exist.

Exits non-zero listing every violation."""

import json
import pathlib
import re
import sys

import hcl2
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
problems = []


def problem(where, what):
    problems.append(f"{where}: {what}")


def parse_all():
    count = 0
    for tf in sorted(INFRA.rglob("*.tf")):
        with tf.open() as f:
            try:
                hcl2.load(f)
                count += 1
            except Exception as e:  # the parser raises several types
                problem(tf.relative_to(ROOT), f"does not parse: {e}")
    for y in sorted(list(INFRA.rglob("*.yml")) + list(INFRA.rglob("*.yaml"))):
        try:
            yaml.safe_load(y.read_text())
            count += 1
        except yaml.YAMLError as e:
            problem(y.relative_to(ROOT), f"does not parse: {e}")
    for j in sorted(INFRA.rglob("*.json")):
        try:
            json.loads(j.read_text())
            count += 1
        except json.JSONDecodeError as e:
            problem(j.relative_to(ROOT), f"does not parse: {e}")
    return count


SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$", re.I)
FROM_ENV = re.compile(r"^\$\{[A-Z0-9_]+:\?[^}]*\}$")
URL_WITH_CREDENTIALS = re.compile(r"://[^/@\s]+:([^/@\s]+)@")


def check_compose(path):
    where = path.relative_to(ROOT)
    doc = yaml.safe_load(path.read_text())
    services = doc.get("services", {})
    if not services:
        problem(where, "no services")
    for name, svc in services.items():
        at = f"{where} service {name}"
        image = svc.get("image", "")
        if "build" not in svc:
            if ":" not in image or image.endswith(":latest"):
                problem(at, f"image {image!r} is not pinned to a version")
        if svc.get("privileged"):
            problem(at, "privileged")
        if svc.get("network_mode") == "host" or svc.get("pid") == "host":
            problem(at, "shares the host's network or PID namespace")
        if "ALL" not in (svc.get("cap_drop") or []):
            problem(at, "does not drop all capabilities")
        if "no-new-privileges:true" not in (svc.get("security_opt") or []):
            problem(at, "lacks no-new-privileges")
        if "build" in svc and svc.get("read_only") is not True:
            problem(at, "an Orion container without a read-only root file system")
        if "healthcheck" not in svc:
            problem(at, "no health check")
        for port in svc.get("ports") or []:
            if not str(port).startswith("127.0.0.1:"):
                problem(at, f"port {port} is published beyond localhost")
        for volume in svc.get("volumes") or []:
            source = str(volume).split(":")[0]
            if "docker.sock" in str(volume):
                problem(at, "mounts the Docker socket")
            if source.startswith("."):
                if not (path.parent / source).exists():
                    problem(at, f"bind mount {source} does not exist")
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        for key, value in env.items():
            value = str(value)
            if SECRET_NAME.search(key) and not FROM_ENV.match(value):
                problem(at, f"{key} is written in the file instead of taken from the environment")
            m = URL_WITH_CREDENTIALS.search(value)
            if m and not FROM_ENV.match(m.group(1)):
                problem(at, f"{key} holds a URL with a literal password")
    return services


def check_references(services):
    nginx = INFRA / "compose" / "nginx.conf"
    for host in re.findall(r"^\s*server\s+([a-z0-9-]+):\d+", nginx.read_text(), re.M):
        if host not in services:
            problem(nginx.relative_to(ROOT), f"upstream {host} is not a compose service")
    prometheus = yaml.safe_load((INFRA / "observability" / "prometheus.yml").read_text())
    for job in prometheus["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                host = target.split(":")[0]
                if host not in services:
                    problem("infra/observability/prometheus.yml", f"target {target} is not a compose service")


def main():
    parsed = parse_all()
    services = check_compose(INFRA / "compose" / "compose.yaml")
    check_references(services)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"infra: {parsed} files parse; compose: {len(services)} services keep the deployment rules")


if __name__ == "__main__":
    main()
