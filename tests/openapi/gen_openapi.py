"""Writes src/server/openapi.json, the OpenAPI 3.1 document `vaultstore serve` answers
at /openapi.json: python3 tests/openapi/gen_openapi.py > src/server/openapi.json.
tests/openapi/run.sh checks that the committed document is this script's output, and
tests/server_openapi.rs that every documented operation is routed."""
import json
ts = {"type": "string", "format": "date-time"}
nts = {"type": ["string", "null"], "format": "date-time"}
meta = {"type": "object", "additionalProperties": {"type": "string"}}
meta_patch = {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]}}
def ref(n): return {"$ref": f"#/components/schemas/{n}"}
def err(desc): return {"description": desc, "content": {"application/json": {"schema": ref("Error")}}}
def ok(schema, code="200", desc="OK"): return {code: {"description": desc, "content": {"application/json": {"schema": schema}}}}
ERR_DEFS = {"400": err("invalid_request_error"), "401": err("authentication_error (TOKEN_INVALID in the seeds' dialect)"),
        "403": err("permission_error"), "404": err("not_found_error"), "408": err("timeout_error"),
        "409": err("conflict_error (with x-should-retry: false)"), "413": err("request_too_large"), "500": err("api_error")}
ERRS = {code: {"$ref": f"#/components/responses/Error{code}"} for code in ERR_DEFS}
def op(summary, responses, body=None, params=None, tag=None, op_id=None):
    o = {"summary": summary, "operationId": op_id, "tags": [tag], "responses": {**responses, **ERRS}}
    if params: o["parameters"] = params
    if body: o["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return o
def path_param(n): return {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
def q(n, schema): return {"name": n, "in": "query", "required": False, "schema": schema}
limit = q("limit", {"type": "integer", "minimum": 1, "maximum": 4294967295})
cursor_params = [limit, q("after_id", {"type": "string"}), q("before_id", {"type": "string"}),
    q("include_archived", {"type": "boolean"}), q("name", {"type": "string"}),
    q("created_at[gte]", ts), q("created_at[lte]", ts)]
page_params = [limit, q("page", {"type": "string"}), q("include_archived", {"type": "boolean"})]
refresh_settings = {"type": "object", "required": ["client_id", "token_endpoint", "token_endpoint_auth"], "properties": {
    "client_id": {"type": "string"}, "token_endpoint": {"type": "string"},
    "token_endpoint_auth": {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["none", "client_secret_basic", "client_secret_post"]}}},
    "resource": {"type": "string"}, "scope": {"type": "string"}}}
schemas = {
  "Error": {"type": "object", "required": ["type", "error"], "properties": {
      "type": {"const": "error"},
      "error": {"type": "object", "required": ["type", "message"], "properties": {"type": {"type": "string"}, "message": {"type": "string"}}},
      "request_id": {"type": "string", "description": "Anthropic dialect and resolve; also in the request-id header"}}},
  "QoderCredential": {"type": "object", "required": ["id", "vault_id", "mcp_server_url", "protocol", "type", "status", "metadata", "created_at", "updated_at"], "properties": {
      "id": {"type": "string"}, "vault_id": {"type": "string"}, "mcp_server_url": {"type": "string"},
      "protocol": {"enum": ["sse", "streamable_http"]}, "type": {"enum": ["static_bearer", "mcp_oauth"]},
      "display_name": {"type": "string"}, "metadata": meta, "expires_at": ts, "refresh": refresh_settings,
      "refresh_state": {"type": "object"}, "status": {"enum": ["active", "archived"]}, "archived_at": ts,
      "created_at": ts, "updated_at": ts}},
  "QoderVault": {"type": "object", "required": ["id", "type", "display_name", "status", "metadata", "created_at", "updated_at"], "properties": {
      "id": {"type": "string"}, "type": {"const": "vault"}, "display_name": {"type": "string"},
      "status": {"enum": ["active", "archived"]}, "metadata": meta, "created_at": ts, "updated_at": ts, "archived_at": ts,
      "credentials": {"type": "array", "items": ref("QoderCredential"), "description": "Only in the answer to create"}}},
  "QoderVaultPage": {"type": "object", "required": ["data", "first_id", "last_id", "has_more"], "properties": {
      "data": {"type": "array", "items": ref("QoderVault")}, "first_id": {"type": ["string", "null"]},
      "last_id": {"type": ["string", "null"]}, "has_more": {"type": "boolean"}}},
  "QoderCredentialPage": {"type": "object", "required": ["data", "first_id", "last_id", "has_more"], "properties": {
      "data": {"type": "array", "items": ref("QoderCredential")}, "first_id": {"type": ["string", "null"]},
      "last_id": {"type": ["string", "null"]}, "has_more": {"type": "boolean"}}},
  "CredentialBody": {"type": "object", "description": "The seeds' flat shape (mcp_server_url, protocol, type, access_token, expires_at?, refresh?) or the auth shape ({auth: {type, mcp_server_url, token | access_token, …}, protocol?, display_name?, metadata?})",
      "properties": {"mcp_server_url": {"type": "string"}, "protocol": {"enum": ["sse", "streamable_http"]},
        "type": {"enum": ["static_bearer", "mcp_oauth"]}, "access_token": {"type": "string", "writeOnly": True},
        "display_name": {"type": ["string", "null"]}, "metadata": meta, "auth": {"type": "object"}}},
  "QoderCreateVault": {"type": "object", "required": ["display_name", "credentials"], "properties": {
      "display_name": {"type": "string"}, "metadata": meta, "credentials": {"type": "array", "items": ref("CredentialBody"), "minItems": 1}}},
  "UpdateVault": {"type": "object", "properties": {"display_name": {"type": ["string", "null"]}, "metadata": meta_patch}},
  "UpdateCredential": {"type": "object", "properties": {"display_name": {"type": ["string", "null"]}, "metadata": meta_patch, "auth": {"type": "object"}}},
  "Deleted": {"type": "object", "required": ["id", "type"], "properties": {"id": {"type": "string"}, "type": {"enum": ["vault_deleted", "vault_credential_deleted"]}}},
  "Vault": {"type": "object", "required": ["id", "type", "display_name", "metadata", "created_at", "updated_at", "archived_at"], "properties": {
      "id": {"type": "string"}, "type": {"const": "vault"}, "display_name": {"type": "string"}, "metadata": meta,
      "created_at": ts, "updated_at": ts, "archived_at": nts}},
  "CredentialAuth": {"type": "object", "required": ["type", "mcp_server_url"], "properties": {
      "type": {"enum": ["static_bearer", "mcp_oauth"]}, "mcp_server_url": {"type": "string"}, "expires_at": ts, "refresh": refresh_settings}},
  "Credential": {"type": "object", "required": ["id", "type", "vault_id", "display_name", "metadata", "auth", "created_at", "updated_at", "archived_at"], "properties": {
      "id": {"type": "string"}, "type": {"const": "vault_credential"}, "vault_id": {"type": "string"},
      "display_name": {"type": ["string", "null"]}, "metadata": meta, "auth": ref("CredentialAuth"),
      "refresh_state": {"type": "object", "description": "mcp_oauth only: last refresh, last error, needs_reauthorization (this server's addition)"},
      "created_at": ts, "updated_at": ts, "archived_at": nts}},
  "VaultPage": {"type": "object", "required": ["data", "next_page"], "properties": {"data": {"type": "array", "items": ref("Vault")}, "next_page": {"type": ["string", "null"]}}},
  "CredentialPage": {"type": "object", "required": ["data", "next_page"], "properties": {"data": {"type": "array", "items": ref("Credential")}, "next_page": {"type": ["string", "null"]}}},
  "CreateVault": {"type": "object", "required": ["display_name"], "additionalProperties": False, "properties": {"display_name": {"type": "string"}, "metadata": meta}},
  "CreateCredential": {"type": "object", "required": ["auth"], "properties": {"auth": {"type": "object"}, "display_name": {"type": ["string", "null"]}, "metadata": meta}},
  "ResolveRequest": {"type": "object", "required": ["vault_ids", "mcp_server_url"], "additionalProperties": False, "properties": {
      "vault_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 100}, "mcp_server_url": {"type": "string"}}},
  "Resolved": {"type": "object", "required": ["vault_id", "credential_id", "mcp_server_url", "protocol", "type", "token"], "properties": {
      "vault_id": {"type": "string"}, "credential_id": {"type": "string"}, "mcp_server_url": {"type": "string"},
      "protocol": {"enum": ["sse", "streamable_http"]}, "type": {"enum": ["static_bearer", "mcp_oauth"]},
      "token": {"type": "string"}, "expires_at": ts}},
}
V, C = path_param("vault_id"), path_param("credential_id")
paths = {}
def dialect(prefix, tag, vault, cred, vpage, cpage, create_body, create_code, ops_prefix):
    b = f"{prefix}/vaults"
    paths[b] = {"post": op("Create a vault", ok(vault, create_code), create_body, tag=tag, op_id=f"{ops_prefix}CreateVault"),
                "get": op("List vaults", ok(vpage), params=cursor_params if tag == "seeds" else page_params, tag=tag, op_id=f"{ops_prefix}ListVaults")}
    item = {"get": op("Get a vault", ok(vault), params=[V], tag=tag, op_id=f"{ops_prefix}GetVault"),
            "post": op("Update a vault", ok(vault), ref("UpdateVault"), [V], tag, f"{ops_prefix}UpdateVault"),
            "delete": op("Delete a vault", ok(ref("Deleted")), params=[V], tag=tag, op_id=f"{ops_prefix}DeleteVault")}
    if tag == "seeds":
        item["patch"] = op("Update a vault", ok(vault), ref("UpdateVault"), [V], tag, f"{ops_prefix}PatchVault")
    paths[b + "/{vault_id}"] = item
    paths[b + "/{vault_id}/archive"] = {"post": op("Archive a vault and its credentials", ok(vault), params=[V], tag=tag, op_id=f"{ops_prefix}ArchiveVault")}
    paths[b + "/{vault_id}/credentials"] = {
        "post": op("Add a credential", ok(cred, create_code), ref("CredentialBody") if tag == "seeds" else ref("CreateCredential"), [V], tag, f"{ops_prefix}CreateCredential"),
        "get": op("List a vault's credentials", ok(cpage), params=[V] + (cursor_params if tag == "seeds" else page_params), tag=tag, op_id=f"{ops_prefix}ListCredentials")}
    citem = {"get": op("Get a credential", ok(cred), params=[V, C], tag=tag, op_id=f"{ops_prefix}GetCredential"),
             "post": op("Update a credential", ok(cred), ref("UpdateCredential"), [V, C], tag, f"{ops_prefix}UpdateCredential"),
             "delete": op("Delete a credential", ok(ref("Deleted")), params=[V, C], tag=tag, op_id=f"{ops_prefix}DeleteCredential")}
    if tag == "seeds":
        citem["patch"] = op("Update a credential", ok(cred), ref("UpdateCredential"), [V, C], tag, f"{ops_prefix}PatchCredential")
    paths[b + "/{vault_id}/credentials/{credential_id}"] = citem
    paths[b + "/{vault_id}/credentials/{credential_id}/archive"] = {"post": op("Archive a credential", ok(cred), params=[V, C], tag=tag, op_id=f"{ops_prefix}ArchiveCredential")}
dialect("/api/v1/cloud", "seeds", ref("QoderVault"), ref("QoderCredential"), ref("QoderVaultPage"), ref("QoderCredentialPage"), ref("QoderCreateVault"), "201", "seeds")
dialect("/v1", "anthropic", ref("Vault"), ref("Credential"), ref("VaultPage"), ref("CredentialPage"), ref("CreateVault"), "200", "")
paths["/vaultstore/v1/resolve"] = {"post": op("The bearer token for an MCP server URL (runtime keys only)", ok(ref("Resolved")), ref("ResolveRequest"), tag="runtime", op_id="resolve")}
paths["/openapi.json"] = {"get": {"summary": "This document", "operationId": "openapi", "tags": ["meta"], "security": [],
    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
# operationIds for the Anthropic ones: lower camel
for p, item in paths.items():
    for m, o in item.items():
        if o["operationId"] and o["operationId"][0].isupper():
            o["operationId"] = o["operationId"][0].lower() + o["operationId"][1:]
doc = {"openapi": "3.1.0",
  "info": {"title": "vaultstore serve", "version": "0.1.0",
    "description": "One vaultstore store over HTTP: the seeds' Vaults API (/api/v1/cloud), Anthropic's Managed Agents Vaults API (/v1), and resolve for runtimes. Tokens and other secrets are write-only: no answer but resolve's holds one."},
  "servers": [{"url": "http://127.0.0.1:8787"}],
  "security": [{"bearer": []}, {"apiKey": []}],
  "tags": [{"name": "seeds"}, {"name": "anthropic"}, {"name": "runtime"}, {"name": "meta"}],
  "paths": paths,
  "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
                 "schemas": schemas, "responses": {f"Error{c}": r for c, r in ERR_DEFS.items()}}}
print(json.dumps(doc, indent=1))
