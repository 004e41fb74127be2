"""Importing a file through the API: a GraphQL multipart request queues a job, the worker
imports it, and the job tells how it went, every problem included. Admins only; files past
the limit, and multipart requests that are not what the spec says, get typed refusals."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from arq import create_pool
from arq.constants import in_progress_key_prefix, job_key_prefix, retry_key_prefix
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from strawberry.relay import from_base64

from api.app import create_app
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import GraphQL, Tokens, bearer
from workers import jobs as worker_jobs
from workers.main import drain
from workers.settings import redis_settings

CUSTOMERS = (
    "external_id,name,email,country\n"
    "K-1,Nordwind GmbH,info@nordwind.example,DE\n"
    "K-2,Süd AG,,DE\n"
    "K-3,Ouest SARL,,FR\n"
)
# 30 customers with a bad email each, and one sound one: more problems than a summary shows.
DIRTY = "external_id,name,email\n" + "".join(f"B-{i},Bad {i},not-an-email-{i}\n" for i in range(30))
DIRTY += "G-1,Good GmbH,good@example.com\n"

UPLOAD = """mutation($input: ImportUploadInput!) { importUpload(input: $input) {
  importJob { id status kind source fileName format byteCount dryRun skipInvalid read
    createdBy { email } }
  errors { field message code } } }"""
JOB = """query($id: ID!) { importJob(id: $id) { id status read inserted updated unchanged
  invalidLines problemCount written error startedAt finishedAt
  problems(first: 5) { totalCount edges { node { line column value message } } } } }"""
PROBLEMS = """query($id: ID!, $after: String) { importJob(id: $id) {
  problems(first: 10, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { line column value message } } } } }"""
ADMIN_EMAIL = "ada@example.com"


@pytest.fixture
async def db(clean_db: AsyncEngine, database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


@pytest.fixture
async def admin(app: Starlette, db: asyncpg.Connection, tokens: Tokens) -> str:
    """An admin's token; the admin is the one employee (so `graphql`'s default token too)."""
    await db.execute(
        "INSERT INTO erp.employee (name, email, title, hire_date, salary, status) "
        "VALUES ('Ada Admin', $1, 'Director', '2020-01-01', 1, 'active')",
        ADMIN_EMAIL,
    )
    app.state.security.directory.forget()  # employee ids start over after each test
    return tokens.mint(ADMIN_EMAIL, "admin")


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[str]:
    """A queue of this test's own; job ids (`import:<id>`) are global in Redis, and the next
    test's jobs start at id 1 again: what is left queued is removed."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    redis = await create_pool(redis_settings(redis_url))
    try:
        job_ids = [job_id.decode() for job_id in await redis.zrange(name, 0, -1)]
        prefixes = (job_key_prefix, in_progress_key_prefix, retry_key_prefix)
        await redis.delete(name, *(prefix + job_id for job_id in job_ids for prefix in prefixes))
    finally:
        await redis.aclose()


def multipart(
    variables: dict[str, Any], files: dict[str, tuple[str, bytes]], file_map: Any
) -> dict[str, Any]:
    """The parts of a GraphQL multipart request: operations, map, then the files."""
    return {
        "data": {
            "operations": json.dumps({"query": UPLOAD, "variables": variables}),
            "map": file_map if isinstance(file_map, str) else json.dumps(file_map),
        },
        "files": {
            name: (file_name, content, "text/csv") for name, (file_name, content) in files.items()
        },
    }


async def upload(
    client: httpx.AsyncClient,
    token: str,
    content: str | bytes,
    *,
    name: str = "customers.csv",
    **options: Any,
) -> dict[str, Any]:
    """`importUpload` as a multipart request; its payload."""
    data = content.encode() if isinstance(content, str) else content
    variables = {"input": {"file": None, "kind": "CUSTOMERS", "source": "legacy-erp", **options}}
    parts = multipart(variables, {"0": (name, data)}, {"0": ["variables.input.file"]})
    response = await client.post("/graphql", headers=bearer(token), **parts)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["importUpload"]  # type: ignore[no-any-return]


async def queued(client: httpx.AsyncClient, token: str, content: str, **options: Any) -> str:
    payload = await upload(client, token, content, **options)
    assert payload["errors"] == [], payload["errors"]
    assert payload["importJob"]["status"] == "QUEUED"
    return payload["importJob"]["id"]  # type: ignore[no-any-return]


async def job(graphql: GraphQL, job_id: str) -> dict[str, Any]:
    answer = await graphql(JOB, {"id": job_id})
    assert "errors" not in answer, answer
    return answer["data"]["importJob"]  # type: ignore[no-any-return]


async def test_an_uploaded_file_is_imported_by_the_worker(
    client: httpx.AsyncClient,
    graphql: GraphQL,
    admin: str,
    db: asyncpg.Connection,
    database_url: str,
    redis_url: str,
    queue: str,
) -> None:
    payload = await upload(client, admin, CUSTOMERS)
    assert payload["errors"] == []
    queued_job = payload["importJob"]
    assert {k: v for k, v in queued_job.items() if k != "id"} == {
        "status": "QUEUED",
        "kind": "CUSTOMERS",
        "source": "legacy-erp",
        "fileName": "customers.csv",
        "format": "CSV",
        "byteCount": len(CUSTOMERS.encode()),
        "dryRun": False,
        "skipInvalid": False,
        "read": 0,
        "createdBy": {"email": ADMIN_EMAIL},
    }
    job_id = queued_job["id"]
    key = int(from_base64(job_id)[1])
    assert await db.fetchval("SELECT count(*) FROM ops.import_file WHERE job_id = $1", key) == 1

    await drain(database_url, redis_url, queue_name=queue)

    done = await job(graphql, job_id)
    assert done["status"] == "SUCCEEDED"
    assert (done["read"], done["inserted"], done["updated"], done["unchanged"]) == (3, 3, 0, 0)
    assert (done["invalidLines"], done["problemCount"], done["written"]) == (0, 0, True)
    assert done["error"] is None and done["startedAt"] and done["finishedAt"]
    assert done["problems"] == {"totalCount": 0, "edges": []}
    rows = await db.fetch(
        "SELECT external_source, external_id, name FROM crm.customer ORDER BY external_id"
    )
    assert [tuple(row) for row in rows] == [
        ("legacy-erp", "K-1", "Nordwind GmbH"),
        ("legacy-erp", "K-2", "Süd AG"),
        ("legacy-erp", "K-3", "Ouest SARL"),
    ]
    # The file held personal data: it went when the job finished; the job stays.
    assert await db.fetchval("SELECT count(*) FROM ops.import_file") == 0
    # Imports send no events: what the new customers feed was recomputed after the job.
    assert (
        await db.fetchval(
            "SELECT count(*) FROM analytics.customer_metrics m JOIN crm.customer c "
            "ON c.id = m.customer_id WHERE c.external_source = 'legacy-erp'"
        )
        == 3
    )
    assert await db.fetchval(
        "SELECT array_agg(name ORDER BY started_at) FROM ops.job_run WHERE status = 'succeeded'"
    ) == ["recompute_all_metrics", "forecast_customers"]
    listed = await graphql("{ importJobs(first: 5) { totalCount edges { node { id status } } } }")
    assert listed["data"]["importJobs"] == {
        "totalCount": 1,
        "edges": [{"node": {"id": job_id, "status": "SUCCEEDED"}}],
    }

    # arq may run a job again: a finished one does nothing, and the effect is gone.
    assert await worker_jobs.run_import({"database_url": database_url}, key) == "succeeded"
    await drain(database_url, redis_url, queue_name=queue)
    assert await job(graphql, job_id) == done
    assert await db.fetchval("SELECT count(*) FROM crm.customer") == 3
    audited = await db.fetchval(
        "SELECT count(*) FROM ops.audit_log WHERE action = 'import.customers'"
    )
    assert audited == 1
    assert await db.fetchval("SELECT count(*) FROM ops.outbox_effect") == 0


async def test_a_file_with_problems_is_rejected_with_every_problem_readable(
    client: httpx.AsyncClient,
    graphql: GraphQL,
    admin: str,
    db: asyncpg.Connection,
    database_url: str,
    redis_url: str,
    queue: str,
) -> None:
    job_id = await queued(client, admin, DIRTY)
    await drain(database_url, redis_url, queue_name=queue)
    rejected = await job(graphql, job_id)
    assert rejected["status"] == "REJECTED"
    assert (rejected["read"], rejected["invalidLines"], rejected["problemCount"]) == (31, 30, 30)
    assert (rejected["inserted"], rejected["written"]) == (0, False)
    assert "nothing was written" in rejected["error"]
    assert rejected["problems"]["totalCount"] == 30
    assert await db.fetchval("SELECT count(*) FROM crm.customer") == 0

    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await graphql(PROBLEMS, {"id": job_id, "after": after}))["data"]["importJob"]
        seen += [edge["node"] for edge in page["problems"]["edges"]]
        if not page["problems"]["pageInfo"]["hasNextPage"]:
            break
        after = page["problems"]["pageInfo"]["endCursor"]
    assert [problem["line"] for problem in seen] == list(range(2, 32))
    assert {problem["column"] for problem in seen} == {"email"}
    assert seen[0]["value"] == "not-an-email-0"
    assert "email" in seen[0]["message"]

    # The same file with skipInvalid: the sound record goes in, the bad lines stay listed.
    skipping = await queued(client, admin, DIRTY, skipInvalid=True)
    await drain(database_url, redis_url, queue_name=queue)
    partial = await job(graphql, skipping)
    assert (partial["status"], partial["written"], partial["inserted"]) == ("SUCCEEDED", True, 1)
    assert (partial["invalidLines"], partial["problems"]["totalCount"]) == (30, 30)
    assert await db.fetchval("SELECT external_id FROM crm.customer") == "G-1"


async def test_a_dry_run_writes_nothing(
    client: httpx.AsyncClient,
    graphql: GraphQL,
    admin: str,
    db: asyncpg.Connection,
    database_url: str,
    redis_url: str,
    queue: str,
) -> None:
    clean = await queued(client, admin, CUSTOMERS, dryRun=True)
    dirty = await queued(client, admin, DIRTY, dryRun=True, name="dirty.csv")
    await drain(database_url, redis_url, queue_name=queue)
    checked = await job(graphql, clean)
    assert (checked["status"], checked["read"], checked["written"]) == ("SUCCEEDED", 3, False)
    refused = await job(graphql, dirty)
    assert (refused["status"], refused["problemCount"], refused["written"]) == (
        "REJECTED",
        30,
        False,
    )
    assert "dry run" in refused["error"]
    assert await db.fetchval("SELECT count(*) FROM crm.customer") == 0
    assert await db.fetchval("SELECT count(*) FROM ops.audit_log WHERE action LIKE 'import.%'") == 0


async def test_how_to_read_the_file_is_checked_when_it_is_uploaded(
    client: httpx.AsyncClient, admin: str, db: asyncpg.Connection
) -> None:
    unknown = await upload(client, admin, CUSTOMERS, encoding="klingon")
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("encoding", "VALIDATION")]
    nameless = await upload(client, admin, CUSTOMERS, name="export.txt", source=" ")
    assert sorted((e["field"], e["code"]) for e in nameless["errors"]) == [
        ("format", "VALIDATION"),
        ("source", "VALIDATION"),
    ]
    named = await upload(client, admin, CUSTOMERS, name="C:\\exports\\export.txt", format="CSV")
    assert named["errors"] == []
    assert (named["importJob"]["fileName"], named["importJob"]["format"]) == ("export.txt", "CSV")
    empty = await upload(client, admin, b"")
    assert [(e["field"], e["code"]) for e in empty["errors"]] == [("file", "VALIDATION")]
    assert await db.fetchval("SELECT count(*) FROM ops.import_job") == 1


async def test_a_retry_with_the_same_key_queues_the_file_once(
    client: httpx.AsyncClient, admin: str, db: asyncpg.Connection
) -> None:
    first = await upload(client, admin, CUSTOMERS, idempotencyKey="upload-1")
    again = await upload(client, admin, CUSTOMERS, idempotencyKey="upload-1")
    assert again["importJob"]["id"] == first["importJob"]["id"]
    other = await upload(client, admin, DIRTY, idempotencyKey="upload-1")
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await db.fetchval("SELECT count(*) FROM ops.import_job") == 1


async def test_only_admins_upload_and_read_import_jobs(
    client: httpx.AsyncClient,
    graphql: GraphQL,
    admin: str,
    tokens: Tokens,
    db: asyncpg.Connection,
) -> None:
    job_id = await queued(client, admin, CUSTOMERS)
    manager = tokens.mint(ADMIN_EMAIL, "sales_manager", "finance", "hr")
    parts = multipart(
        {"input": {"file": None, "kind": "CUSTOMERS", "source": "x"}},
        {"0": ("customers.csv", CUSTOMERS.encode())},
        {"0": ["variables.input.file"]},
    )
    refused = await client.post("/graphql", headers=bearer(manager), **parts)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Without a file (a JSON request), the mutation itself refuses the role.
    answer = await graphql(
        UPLOAD, {"input": {"file": "x", "kind": "CUSTOMERS", "source": "x"}}, token=manager
    )
    assert [(e["field"], e["code"]) for e in answer["data"]["importUpload"]["errors"]] == [
        (None, "FORBIDDEN")
    ]
    for query in (JOB, "{ importJobs { totalCount } }"):
        read = await graphql(query, {"id": job_id} if "$id" in query else {}, token=manager)
        assert list(read["data"].values()) == [None]
        assert [e["extensions"]["code"] for e in read["errors"]] == ["FORBIDDEN"]
    assert await db.fetchval("SELECT count(*) FROM ops.import_job") == 1


async def test_a_json_request_cannot_stand_in_for_the_file(graphql: GraphQL, admin: str) -> None:
    answer = await graphql(
        UPLOAD, {"input": {"file": "K-1,Acme", "kind": "CUSTOMERS", "source": "x"}}
    )
    [error] = answer["data"]["importUpload"]["errors"]
    assert (error["field"], error["code"]) == ("file", "VALIDATION")
    assert "multipart" in error["message"]


def raw_multipart(fields: dict[str, str]) -> dict[str, Any]:
    """A multipart request of text fields only (httpx sends no multipart without a file)."""
    boundary = "bizgraph-test-boundary"
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    return {
        "content": f"{body}--{boundary}--\r\n".encode(),
        "headers": {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    }


VARIABLES = {"input": {"file": None, "kind": "CUSTOMERS", "source": "legacy-erp"}}
FILE = {"0": ("customers.csv", CUSTOMERS.encode())}
PLACE = {"0": ["variables.input.file"]}


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (multipart(VARIABLES, FILE, {"0": ["variables.input.file.name"]}), "leads to nothing"),
        (multipart(VARIABLES, FILE, {"0": ["variables.input.source"]}), "must lead to a null"),
        (multipart(VARIABLES, FILE, {"0": ["query"]}), "must lead into `variables`"),
        (multipart(VARIABLES, FILE, {"1": ["variables.input.file"]}), "no file of this request"),
        (multipart(VARIABLES, FILE, {"operations": ["variables.input.file"]}), "no file of"),
        (multipart(VARIABLES, FILE, {"0": "variables.input.file"}), "a list of paths"),
        (multipart(VARIABLES, FILE, "[]"), "must be a JSON object"),
        (multipart(VARIABLES, FILE, "{not json"), "not valid JSON"),
        (multipart(VARIABLES, FILE, {}), "is not in `map`"),
        (
            raw_multipart(
                {
                    "operations": json.dumps({"query": UPLOAD, "variables": VARIABLES}),
                    "map": json.dumps(PLACE),
                }
            ),
            "no file of this request",
        ),
        (
            multipart(VARIABLES, {**FILE, "1": ("more.csv", b"x")}, PLACE),
            "Too many files",
        ),
        (
            {"data": {"map": json.dumps(PLACE)}, "files": {"0": ("c.csv", b"x", "text/csv")}},
            "needs a `operations` field",
        ),
        (
            {
                "data": {"operations": json.dumps([{"query": UPLOAD}]), "map": "{}"},
                "files": {"0": ("c.csv", b"x", "text/csv")},
            },
            "not a batch",
        ),
        (
            {"data": {"query": UPLOAD}, "files": {"0": ("c.csv", b"x", "text/csv")}},
            "needs a `operations` field",
        ),
        (
            {
                **multipart(VARIABLES, FILE, PLACE),
                "data": {**multipart(VARIABLES, FILE, PLACE)["data"], "extra": "x"},
            },
            "Too many fields",
        ),
    ],
    ids=[
        "path-into-nothing",
        "path-to-a-value",
        "path-outside-variables",
        "missing-file",
        "a-field-as-file",
        "paths-not-a-list",
        "map-not-an-object",
        "map-not-json",
        "unmapped-file",
        "no-file",
        "two-files",
        "no-operations",
        "batch",
        "a-plain-form",
        "extra-field",
    ],
)
async def test_a_malformed_multipart_request_is_refused(
    client: httpx.AsyncClient,
    admin: str,
    db: asyncpg.Connection,
    parts: dict[str, Any],
    message: str,
) -> None:
    headers = {**bearer(admin), **parts.get("headers", {})}
    sent = {key: value for key, value in parts.items() if key != "headers"}
    response = await client.post("/graphql", headers=headers, **sent)
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert message in error["message"]
    assert await db.fetchval("SELECT count(*) FROM ops.import_job") == 0


@pytest.fixture
async def small_app(settings: Settings) -> AsyncIterator[Starlette]:
    """The app with a 4 KiB file limit (a multipart request may hold 4 KiB + 1 KiB)."""
    app = create_app(settings.model_copy(update={"import_max_bytes": 4096, "max_body_bytes": 1024}))
    yield app
    await app.state.bizgraph.reads.close()
    await app.state.bizgraph.engine.dispose()


async def test_a_file_past_the_limit_is_refused_with_a_typed_error(
    small_app: Starlette, admin: str, db: asyncpg.Connection
) -> None:
    small_app.state.security.directory.forget()
    transport = httpx.ASGITransport(app=small_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        fits, extra = CUSTOMERS, 0
        while len(f"{fits}X-{extra},Company {extra},,DE\n".encode()) <= 4096:
            fits, extra = f"{fits}X-{extra},Company {extra},,DE\n", extra + 1
        assert (await upload(client, admin, fits))["errors"] == []
        larger = fits + "X-999,One too many,,DE\n"
        refused = await upload(client, admin, larger)
        assert refused["importJob"] is None
        [error] = refused["errors"]
        assert (error["field"], error["code"]) == ("file", "FILE_TOO_LARGE")
        assert "4,096 bytes" in error["message"]

        # Far larger: refused by its declared length before anything is read...
        huge = larger * 3
        parts = multipart(VARIABLES, {"0": ("c.csv", huge.encode())}, PLACE)
        response = await client.post("/graphql", headers=bearer(admin), **parts)
        assert response.status_code == 413
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "upload", "maximum": 5120}

        # ...and without one, as soon as it grows past the limit.
        request = client.build_request("POST", "/graphql", headers=bearer(admin), **parts)
        body = request.read()

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        streamed = await client.post("/graphql", headers=headers, content=chunks())
        assert streamed.status_code == 413, streamed.text
        assert streamed.json()["errors"][0]["extensions"]["limit"] == "upload"
    assert await db.fetchval("SELECT count(*) FROM ops.import_job") == 1
