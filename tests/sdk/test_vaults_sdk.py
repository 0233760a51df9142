"""The official `anthropic` Python SDK (pinned in requirements.txt) against
`vaultstore serve`: client.beta.vaults and client.beta.vaults.credentials, every
call the SDK has for them, including auto-pagination and the error classes.

Run by tests/sdk/run.sh, which starts the server and sets VAULTSTORE_URL,
VAULTSTORE_ADMIN_KEY and VAULTSTORE_RUNTIME_KEY.
"""

import datetime
import json
import os
import sys
import urllib.request

import anthropic

URL = os.environ["VAULTSTORE_URL"]
ADMIN = os.environ["VAULTSTORE_ADMIN_KEY"]
RUNTIME = os.environ["VAULTSTORE_RUNTIME_KEY"]

passed = 0
failed = 0


def check(name, fn):
    global passed, failed
    try:
        fn()
    except Exception as e:  # report every failure, then exit non-zero
        failed += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")
    else:
        passed += 1
        print(f"ok   {name}")


client = anthropic.Anthropic(api_key=ADMIN, base_url=URL, max_retries=0)
vaults = client.beta.vaults
creds = client.beta.vaults.credentials


def resolve(vault_id, url):
    req = urllib.request.Request(
        URL + "/vaultstore/v1/resolve",
        data=json.dumps({"vault_ids": [vault_id], "mcp_server_url": url}).encode(),
        headers={"Authorization": "Bearer " + RUNTIME, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def vault_lifecycle():
    v = vaults.create(display_name="Example vault", metadata={"env": "test"})
    assert v.type == "vault" and v.id.startswith("vault_"), v
    assert v.metadata == {"env": "test"} and v.archived_at is None
    got = vaults.retrieve(v.id)
    assert got.id == v.id and got.display_name == "Example vault"
    up = vaults.update(v.id, display_name="Renamed", metadata={"env": None, "team": "a"})
    assert up.display_name == "Renamed" and up.metadata == {"team": "a"}, up
    archived = vaults.archive(v.id)
    assert archived.archived_at is not None
    deleted = vaults.delete(v.id)
    assert deleted.id == v.id and deleted.type == "vault_deleted"
    try:
        vaults.retrieve(v.id)
    except anthropic.NotFoundError:
        pass
    else:
        raise AssertionError("a deleted vault is still found")


def vault_auto_pagination():
    made = [vaults.create(display_name=f"page-{i}").id for i in range(7)]
    seen = [v.id for v in vaults.list(limit=3) if v.display_name.startswith("page-")]
    assert seen == list(reversed(made)), (seen, made)
    first = vaults.list(limit=3)
    assert len(first.data) == 3 and first.next_page
    vaults.archive(made[0])
    with_archived = [v.id for v in vaults.list(limit=2, include_archived=True)]
    without = [v.id for v in vaults.list(limit=2)]
    assert made[0] in with_archived and made[0] not in without


def credential_lifecycle():
    v = vaults.create(display_name="creds")
    c = creds.create(
        v.id,
        display_name="Example",
        auth={"type": "static_bearer", "mcp_server_url": "https://mcp.example.com/mcp", "token": "sk-static-1"},
    )
    assert c.type == "vault_credential" and c.vault_id == v.id
    assert c.auth.type == "static_bearer" and c.auth.mcp_server_url == "https://mcp.example.com/mcp"
    assert "sk-static-1" not in c.model_dump_json()
    assert resolve(v.id, "https://mcp.example.com/mcp")["token"] == "sk-static-1"

    got = creds.retrieve(c.id, vault_id=v.id)
    assert got.id == c.id and got.display_name == "Example"
    up = creds.update(
        c.id,
        vault_id=v.id,
        display_name="Renamed",
        metadata={"k": "v"},
        auth={"type": "static_bearer", "token": "sk-static-2"},
    )
    assert up.display_name == "Renamed" and up.metadata == {"k": "v"}
    assert resolve(v.id, "https://mcp.example.com/mcp")["token"] == "sk-static-2"

    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    o = creds.create(
        v.id,
        display_name="OAuth",
        auth={
            "type": "mcp_oauth",
            "mcp_server_url": "https://mcp.linear.app/mcp",
            "access_token": "at-1",
            "expires_at": expires,  # the SDK sends …+00:00
            "refresh": {
                "client_id": "client-1",
                "refresh_token": "rt-1",
                "token_endpoint": "https://auth.example.com/token",
                "token_endpoint_auth": {"type": "client_secret_basic", "client_secret": "cs-1"},
                "scope": "read",
            },
        },
    )
    assert o.auth.type == "mcp_oauth" and o.auth.expires_at is not None
    assert o.auth.refresh.client_id == "client-1"
    assert o.auth.refresh.token_endpoint_auth.type == "client_secret_basic"
    dumped = o.model_dump_json()
    for secret in ("at-1", "rt-1", "cs-1"):
        assert secret not in dumped

    for i in range(4):
        creds.create(
            v.id,
            auth={"type": "static_bearer", "mcp_server_url": f"https://s{i}.example.com/mcp", "token": f"t{i}"},
        )
    listed = [x.id for x in creds.list(v.id, limit=2)]
    assert len(listed) == 6 and len(set(listed)) == 6, listed

    archived = creds.archive(c.id, vault_id=v.id)
    assert archived.archived_at is not None
    assert c.id not in [x.id for x in creds.list(v.id)]
    assert c.id in [x.id for x in creds.list(v.id, include_archived=True)]
    deleted = creds.delete(o.id, vault_id=v.id)
    assert deleted.id == o.id and deleted.type == "vault_credential_deleted"


def errors_map_to_sdk_classes():
    v = vaults.create(display_name="errors")
    vaults.archive(v.id)
    try:
        vaults.archive(v.id)
    except anthropic.ConflictError as e:
        assert e.response.headers.get("x-should-retry") == "false"
        assert e.body["error"]["type"] == "conflict_error"
        assert e.response.headers.get("request-id") == e.body["request_id"]
    else:
        raise AssertionError("archiving twice must be a conflict")
    try:
        vaults.create(display_name="")
    except anthropic.BadRequestError as e:
        assert "display_name" in str(e)
    else:
        raise AssertionError("a blank name must be refused")
    bad = anthropic.Anthropic(api_key="vsk_0_nope", base_url=URL, max_retries=0)
    try:
        bad.beta.vaults.list()
    except anthropic.AuthenticationError:
        pass
    else:
        raise AssertionError("an unknown key must be refused")
    runtime = anthropic.Anthropic(api_key=RUNTIME, base_url=URL, max_retries=0)
    try:
        runtime.beta.vaults.list()
    except anthropic.PermissionDeniedError:
        pass
    else:
        raise AssertionError("a runtime key must not manage vaults")
    try:
        vaults.list(workspace_id="someone-else")
    except anthropic.PermissionDeniedError:
        pass
    else:
        raise AssertionError("another workspace must be refused")
    assert vaults.list(workspace_id="default").data is not None


check("vaults: create, retrieve, update, archive, delete", vault_lifecycle)
check("vaults: list with auto-pagination and include_archived", vault_auto_pagination)
check("credentials: create, retrieve, update, list, archive, delete", credential_lifecycle)
check("errors: 409 without retry, 400, 401, 403", errors_map_to_sdk_classes)
print(f"sdk: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
