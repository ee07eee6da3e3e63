"""A push decided in Python with siyu's engine: a new member checks in twice from one device.

    python examples/python-authority/example.py pkg/siyu_authority.wasm programs/health-food.json

Prints what a backend would store and answer, as JSON lines (the tests read them).
"""

import json
import sys

from authority import Authority

NOW = 1_796_356_800_000  # Thu 3 Dec 2026, 10:00 China time


def main(wasm_path: str, program_path: str) -> None:
    with open(program_path, encoding="utf-8") as f:
        authority = Authority(wasm_path, f.read())

    # The member's row as a database would hold it.
    member = authority.call("newMember", {"memberId": "py-alice", "now": NOW})["ok"]
    row = {"state": member["state"], "version": 0, "stateVersion": 0, "last": 0}
    stock = authority.call("initialStock", {})["ok"]

    def decide(mutations, decided=()):
        request = {"protocol": 2, "clientId": "py-phone", "mutations": mutations}
        answer = authority.call("decidePush", {
            "memberId": "py-alice", "request": request, "state": row["state"],
            "version": row["version"], "stateVersion": row["stateVersion"],
            "lastMutationId": row["last"], "stock": stock, "decided": list(decided), "now": NOW,
        })
        writes = answer.get("ok", {}).get("writes")
        if writes:  # what the backend commits in one transaction
            row.update(version=writes["version"], stateVersion=writes["stateVersion"], last=writes["lastMutationId"])
            if writes["state"] is not None:
                row["state"] = writes["state"]
        return answer

    check_in = [{"id": 1, "name": "checkIn", "args": {}, "clientTime": NOW}]
    first = decide(check_in)
    stored = first["ok"]["writes"]["decisions"][0]
    print(json.dumps({"step": "first", "status": first["ok"]["results"][0]["status"],
                      "guards": [g["guard"] for g in first["ok"]["writes"]["guards"]]}))
    # The same mutation again (a lost reply): answered from the stored decision.
    again = decide(check_in, decided=[{k: stored[k] for k in ("id", "name", "args", "clientTime", "outcome")}])
    print(json.dumps({"step": "again", "status": again["ok"]["results"][0]["status"], "writes": again["ok"]["writes"]}))
    # A second check-in the same day: decided, and rejected by the rules.
    twice = decide([{"id": 2, "name": "checkIn", "args": {}, "clientTime": NOW}])
    print(json.dumps({"step": "twice", "status": twice["ok"]["results"][0]["status"],
                      "code": twice["ok"]["results"][0]["error"]["code"]}))
    state = json.loads(row["state"])
    print(json.dumps({"step": "state", "checkIns": len(state["checkIns"]), "points": sum(l["remaining"] for l in state["lots"])}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
