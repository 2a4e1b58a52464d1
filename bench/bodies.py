"""Message bodies for the request-unit measurement: a realistic 1 KB JSON event and seeded text of any size."""

from __future__ import annotations

import json
import random
import string
import uuid

KIB = 1024
_TEXT_ALPHABET = string.ascii_letters + string.digits


def one_kilobyte_json(seed: int = 0) -> str:
    """A realistic 1,024-byte JSON event: ids, timestamps, nested objects, a padded note.

    The store's cost tests (tests/integration/test_dynamo_costs.py) send it too, so the measured units
    compare with the ones they assert.
    """
    rng = random.Random(seed)
    event = {
        "eventId": str(uuid.UUID(int=rng.getrandbits(128))),
        "type": "order.created",
        "occurredAt": "2026-01-01T00:00:00.123Z",
        "order": {
            "id": f"ORD-{rng.randrange(10**9):09d}",
            "customer": {"id": f"CUST-{rng.randrange(10**6):06d}", "email": "jane.doe@example.com"},
            "lines": [
                {"sku": f"SKU-{rng.randrange(10**5):05d}", "quantity": rng.randrange(1, 5), "priceCents": 1999 + i}
                for i in range(5)
            ],
            "shipping": {"method": "express", "city": "Berlin", "postalCode": "10115", "country": "DE"},
        },
        "note": "",
    }
    missing = KIB - len(json.dumps(event))
    event["note"] = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(missing))
    body = json.dumps(event)
    assert len(body.encode()) == KIB
    return body


def random_text(size: int, seed: int = 0) -> str:
    """`size` seeded random letters and digits: compresses to about 75%, like mixed text, not to nothing."""
    return "".join(random.Random(seed).choices(_TEXT_ALPHABET, k=size))
