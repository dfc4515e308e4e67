#!/usr/bin/env python3
"""Vendors the parts of GitHub's published API descriptions the simulated GitHub is checked against.

GitHub publishes its REST API as an OpenAPI description and its webhook payloads as JSON schemas,
in the npm packages `@octokit/openapi` and `@octokit/openapi-webhooks`, and its GraphQL API as an
SDL schema in `@octokit/graphql-schema`. This script fetches the
pinned versions with `npm pack`, keeps only the operations the simulator serves and the webhook
events it sends (with every component schema they reach), turns OpenAPI 3.0's `nullable` into
JSON Schema's `"null"` type, drops prose, and writes `simulated-github/src/schemas/*.json`. The
GraphQL schema is vendored whole (`schemas/graphql.graphql`, its source on the first line): a
query may name any type, so trimming it would turn GitHub's fields into "unknown field" errors.
Tests read only the vendored files; they never fetch.

    python3 scripts/vendor-github-schemas.py            # fetch with npm, then vendor
    python3 scripts/vendor-github-schemas.py DIR        # DIR holds the three unpacked packages
"""

import json
import os
import subprocess
import sys
import tempfile

OPENAPI = ("@octokit/openapi", "23.0.2")
WEBHOOKS = ("@octokit/openapi-webhooks", "12.1.0")
GRAPHQL = ("@octokit/graphql-schema", "15.26.1")

# The REST operations the simulated GitHub serves (method, path as GitHub describes it).
OPERATIONS = [
    ("get", "/user"),
    ("get", "/app"),
    ("post", "/app/installations/{installation_id}/access_tokens"),
    ("get", "/gists/{gist_id}"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/tags"),
    ("get", "/repos/{owner}/{repo}/collaborators/{username}/permission"),
    ("get", "/repos/{owner}/{repo}/git/ref/{ref}"),
    ("get", "/repos/{owner}/{repo}/git/matching-refs/{ref}"),
    ("post", "/repos/{owner}/{repo}/git/refs"),
    ("patch", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("delete", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("post", "/repos/{owner}/{repo}/git/commits"),
    ("get", "/repos/{owner}/{repo}/git/commits/{commit_sha}"),
    ("post", "/repos/{owner}/{repo}/git/trees"),
    ("get", "/repos/{owner}/{repo}/git/trees/{tree_sha}"),
    ("post", "/repos/{owner}/{repo}/git/tags"),
    ("get", "/repos/{owner}/{repo}/git/tags/{tag_sha}"),
    ("post", "/repos/{owner}/{repo}/git/blobs"),
    ("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
    ("get", "/repos/{owner}/{repo}/issues"),
    ("post", "/repos/{owner}/{repo}/issues"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"),
    ("post", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("patch", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("get", "/repos/{owner}/{repo}/milestones"),
    ("post", "/repos/{owner}/{repo}/milestones"),
    ("get", "/repos/{owner}/{repo}/pulls"),
    ("post", "/repos/{owner}/{repo}/pulls"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("patch", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("put", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"),
    ("get", "/repos/{owner}/{repo}/releases"),
    ("post", "/repos/{owner}/{repo}/releases"),
    ("get", "/repos/{owner}/{repo}/releases/latest"),
    ("get", "/repos/{owner}/{repo}/releases/tags/{tag}"),
    ("get", "/repos/{owner}/{repo}/releases/{release_id}"),
    ("patch", "/repos/{owner}/{repo}/releases/{release_id}"),
    ("post", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"),
    ("get", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"),
    ("get", "/repos/{owner}/{repo}/actions/runs"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}"),
    ("post", "/repos/{owner}/{repo}/statuses/{sha}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/statuses"),
    ("post", "/repos/{owner}/{repo}/releases/generate-notes"),
    ("post", "/app-manifests/{code}/conversions"),
    # What a person reads when looking at a release on GitHub's pages (and `gh`, and scripts).
    ("get", "/rate_limit"),
    ("get", "/repos/{owner}/{repo}/commits"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/status"),
    ("get", "/repos/{owner}/{repo}/compare/{basehead}"),
    ("get", "/repos/{owner}/{repo}/branches"),
    ("get", "/repos/{owner}/{repo}/branches/{branch}"),
    ("get", "/repos/{owner}/{repo}/collaborators"),
    ("get", "/repos/{owner}/{repo}/labels"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/events"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/timeline"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/commits"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("get", "/repos/{owner}/{repo}/releases/{release_id}/assets"),
    ("delete", "/repos/{owner}/{repo}/releases/{release_id}"),
    ("get", "/repos/{owner}/{repo}/actions/workflows"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}"),
    ("post", "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun"),
    # Immutable releases (a repository setting) and release assets: upload (on the uploads
    # host), list, read or download, delete.
    ("get", "/repos/{owner}/{repo}/immutable-releases"),
    ("put", "/repos/{owner}/{repo}/immutable-releases"),
    ("delete", "/repos/{owner}/{repo}/immutable-releases"),
    ("post", "/repos/{owner}/{repo}/releases/{release_id}/assets"),
    ("get", "/repos/{owner}/{repo}/releases/assets/{asset_id}"),
    ("delete", "/repos/{owner}/{repo}/releases/assets/{asset_id}"),
]

# The webhook events (and actions) the simulated GitHub sends, as the webhooks package names them.
EVENTS = [
    "create",
    "delete",
    "push",
    "issues-opened",
    "issues-assigned",
    "issues-labeled",
    "issue-comment-created",
    "issue-comment-edited",
    "pull-request-opened",
    "pull-request-closed",
    "pull-request-reopened",
    "pull-request-synchronize",
    "pull-request-edited",
    "pull-request-assigned",
    "pull-request-labeled",
    "pull-request-ready-for-review",
    "pull-request-milestoned",
    "pull-request-demilestoned",
    "issues-milestoned",
    "issues-demilestoned",
    "milestone-created",
    "merge-group-checks-requested",
    "merge-group-destroyed",
    "release-created",
    "release-edited",
    "release-deleted",
    "release-published",
    "release-released",
    "release-prereleased",
    "workflow-run-requested",
    "workflow-run-in-progress",
    "workflow-run-completed",
]

PROSE = {"description", "summary", "example", "examples", "externalDocs", "x-github", "discriminator", "title"}


def fetch(directory):
    for name, version in (OPENAPI, WEBHOOKS, GRAPHQL):
        subprocess.run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=directory, check=True,
                       stdout=subprocess.DEVNULL)
    for tarball in [f for f in os.listdir(directory) if f.endswith(".tgz")]:
        target = os.path.join(directory, tarball[: -len(".tgz")])
        os.makedirs(target, exist_ok=True)
        subprocess.run(["tar", "xzf", tarball, "-C", target], cwd=directory, check=True)


def package_file(directory, package, version, path=("generated", "api.github.com.json")):
    slug = package.lstrip("@").replace("/", "-")
    return os.path.join(directory, f"{slug}-{version}", "package", *path)


def vendor_graphql(text):
    """The SDL as published, under a comment naming its package (read back by the simulator)."""
    return f"# source: {GRAPHQL[0]}@{GRAPHQL[1]} schema.graphql\n" + text


def strip(node, nullable_to_type):
    """A copy without prose; OpenAPI 3.0's `nullable: true` becomes a `"null"` type."""
    if isinstance(node, list):
        return [strip(item, nullable_to_type) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties") and isinstance(value, dict):
            # Property names are data here, not keywords: `title` and `description` stay.
            out[key] = {name: strip(sub, nullable_to_type) for name, sub in value.items()}
        elif key not in PROSE:
            out[key] = strip(value, nullable_to_type)
    if nullable_to_type and out.pop("nullable", False):
        if "type" in out and "$ref" not in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = kinds + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


def reached(node, into):
    """Every `#/components/schemas/X` a node refers to."""
    if isinstance(node, list):
        for item in node:
            reached(item, into)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            into.add(ref.split("/")[-1])
        for value in node.values():
            reached(value, into)


def close(components, roots):
    seen, todo = set(), set(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        more = set()
        reached(components[name], more)
        todo |= more - seen
    return {name: components[name] for name in sorted(seen)}


def resolve(description, node, kind):
    ref = node.get("$ref") if isinstance(node, dict) else None
    if ref and ref.startswith(f"#/components/{kind}/"):
        return description["components"][kind][ref.split("/")[-1]]
    return node


def json_schema(content):
    for media, body in (content or {}).items():
        if media == "application/json" or media.endswith("+json"):
            return body.get("schema")
    return None


def vendor_rest(description):
    operations, roots = [], set()
    for method, path in OPERATIONS:
        op = description["paths"][path][method]
        params = []
        for param in op.get("parameters", []):
            param = resolve(description, param, "parameters")
            if param["in"] not in ("path", "query"):
                continue
            params.append({
                "name": param["name"],
                "in": param["in"],
                "required": bool(param.get("required")),
                "multi_segment": bool(param.get("x-multi-segment")),
                "schema": strip(param.get("schema", {}), True),
            })
        request = None
        if "requestBody" in op:
            body = resolve(description, op["requestBody"], "requestBodies")
            schema = json_schema(body.get("content"))
            if schema is not None:
                request = {"required": bool(body.get("required")), "schema": strip(schema, True)}
        responses = {}
        for status, response in op.get("responses", {}).items():
            response = resolve(description, response, "responses")
            schema = json_schema(response.get("content"))
            responses[status] = None if schema is None else strip(schema, True)
        # An operation served on another host than the API's (uploads go to uploads.github.com,
        # the origin `upload_url` names) records the host's first label.
        hosts = [server["url"] for server in op.get("servers", [])]
        entry = {
            "host": hosts[0].split("//")[-1].split(".")[0] if hosts else None,
            "operation_id": op["operationId"],
            "method": method.upper(),
            "path": path,
            "parameters": params,
            "request": request,
            "responses": responses,
        }
        reached(entry, roots)
        operations.append(entry)
    all_schemas = {k: strip(v, True) for k, v in description["components"]["schemas"].items()}
    return {
        "source": f"{OPENAPI[0]}@{OPENAPI[1]} generated/api.github.com.json",
        "operations": operations,
        "components": {"schemas": close(all_schemas, roots)},
    }


def vendor_webhooks(description):
    events, roots = {}, set()
    for key in EVENTS:
        op = description["webhooks"][key]["post"]
        schema = strip(json_schema(op["requestBody"]["content"]), False)
        reached(schema, roots)
        events[key] = schema
    all_schemas = {k: strip(v, False) for k, v in description["components"]["schemas"].items()}
    return {
        "source": f"{WEBHOOKS[0]}@{WEBHOOKS[1]} generated/api.github.com.json",
        "events": events,
        "components": {"schemas": close(all_schemas, roots)},
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "simulated-github", "src", "schemas")
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        directory = sys.argv[1] if len(sys.argv) > 1 else scratch
        if len(sys.argv) <= 1:
            fetch(directory)
        with open(package_file(directory, *OPENAPI)) as f:
            rest = vendor_rest(json.load(f))
        with open(package_file(directory, *WEBHOOKS)) as f:
            hooks = vendor_webhooks(json.load(f))
        with open(package_file(directory, *GRAPHQL, path=("schema.graphql",))) as f:
            graphql = vendor_graphql(f.read())
    for name, doc in (("rest.json", rest), ("webhooks.json", hooks)):
        with open(os.path.join(out, name), "w") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"{name}: {len(doc.get('operations', doc.get('events', [])))} entries, "
              f"{len(doc['components']['schemas'])} component schemas")
    with open(os.path.join(out, "graphql.graphql"), "w") as f:
        f.write(graphql)
    print(f"graphql.graphql: {graphql.count(chr(10))} lines")


if __name__ == "__main__":
    main()
