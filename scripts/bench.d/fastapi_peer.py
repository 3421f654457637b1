#!/usr/bin/env python3
"""A faithful peer of seed 001's design, for scripts/bench.d/http.

    fastapi_peer.py api    --port P --redis-port R     (uvicorn, one process)
    fastapi_peer.py worker --redis-port R

The API validates the body (Pydantic), takes the Redis submit lock, makes a
ticket id, writes status "pending", RPUSHes the message on the task list
and answers 202 with ticket_id and status_url. The worker BLPOPs, takes the
per-ticket processing lock, sets "processing", classifies with the seed's
keyword baseline (its classifier.py fallback), writes the completed status
and the ready sorted set, and releases the lock. GET /tickets/{id}/status
reads the status hash. Only Debian packages: python3-fastapi,
python3-uvicorn, python3-redis.
"""
import argparse
import json
import re
import sys
import time
import uuid

QUEUE = "peer:queue"
STATUS = "peer:status:"
READY = "peer:ready"
SUBMIT_LOCK = "peer:lock:submit"

CATEGORIES = {
    "Billing": ["refund", "billing", "charge", "invoice", "payment", "price"],
    "Technical": ["server", "crash", "error", "outage", "login", "bug", "api", "down"],
    "Legal": ["legal", "gdpr", "compliance", "lawsuit", "contract"],
}
URGENT = ["asap", "urgent", "critical", "immediately", "outage", "down", "broken"]


def classify(text):
    t = text.lower()
    best, score = "General", 0
    for cat, words in CATEGORIES.items():
        n = sum(1 for w in words if re.search(r"\b" + w, t))
        if n > score:
            best, score = cat, n
    hits = sum(1 for w in URGENT if w in t)
    s = min(1.0, 0.3 * hits + (0.1 if "!" in text else 0.0))
    label = "high" if s >= 0.8 else "medium" if s >= 0.4 else "low"
    return best, s, label


def api(port, rport):
    import redis.asyncio as aioredis
    import uvicorn
    from fastapi import FastAPI, HTTPException
    from pydantic import BaseModel

    class TicketCreate(BaseModel):
        subject: str | None = None
        body: str | None = None
        description: str | None = None

    app = FastAPI()
    r = aioredis.Redis(port=rport, decode_responses=True)

    @app.post("/tickets", status_code=202)
    async def create(t: TicketCreate):
        if not (t.subject or t.body or t.description):
            raise HTTPException(400, "subject, body or description required")
        async with r.lock(SUBMIT_LOCK, timeout=5):
            tid = "ticket-" + uuid.uuid4().hex[:12]
            await r.hset(STATUS + tid, mapping={"status": "pending"})
        msg = {"ticket_id": tid, "subject": t.subject or "", "body": t.body or "",
               "description": t.description or "", "created_at": time.time()}
        msg["combined_text"] = " ".join(x for x in (t.subject, t.body, t.description) if x)
        await r.rpush(QUEUE, json.dumps(msg))
        return {"ticket_id": tid, "status": "accepted", "status_url": f"/tickets/{tid}/status"}

    @app.get("/tickets/{tid}/status")
    async def status(tid: str):
        s = await r.hgetall(STATUS + tid)
        if not s:
            raise HTTPException(404, "unknown ticket")
        if "urgency_score" in s:
            s["urgency_score"] = float(s["urgency_score"])
        return s

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def worker(rport):
    import redis
    r = redis.Redis(port=rport, decode_responses=True)
    while True:
        item = r.blpop(QUEUE, timeout=5)
        if not item:
            continue
        msg = json.loads(item[1])
        tid = msg["ticket_id"]
        if not r.set("peer:lock:proc:" + tid, "1", nx=True, ex=30):
            continue
        r.hset(STATUS + tid, "status", "processing")
        cat, s, label = classify(msg["combined_text"])
        agent = {"Technical": "Agent1", "Billing": "Agent2"}.get(cat, "Agent3")
        p = r.pipeline()
        p.hset(STATUS + tid, mapping={"status": "completed", "category": cat,
                                      "urgency_score": s, "urgency_label": label,
                                      "assigned_agent": agent})
        p.zadd(READY, {tid: s})
        p.delete("peer:lock:proc:" + tid)
        p.execute()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["api", "worker"])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--redis-port", type=int, required=True)
    a = ap.parse_args()
    if a.role == "api":
        api(a.port, a.redis_port)
    else:
        worker(a.redis_port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
