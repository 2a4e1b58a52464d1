"""Sends `add(2, 3)` through the broker and prints the task id: `python send_task.py` beside tasks.py."""

from __future__ import annotations

from tasks import add

if __name__ == "__main__":
    print(add.delay(2, 3).id)
