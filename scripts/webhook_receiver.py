"""A webhook endpoint for trying the API on your machine: it verifies each
delivery's Standard Webhooks signature with the ``standardwebhooks`` library
(what your own endpoint should do) and prints the event.

    .venv/bin/python scripts/webhook_receiver.py --secret whsec_... [--port 4000] [--fail N]

``--fail N`` answers 500 to the first N deliveries, to watch the retries.
Ctrl-C or `kill` (SIGTERM) stops it, with exit status 0: a guide that started
it in the background stops it with `kill $pid; wait $pid`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def describe(event: dict) -> str:
    """One line of what the event says: a refund's status and amount, or a test ping's endpoint."""
    data = event["data"]
    if event["type"].startswith("refund."):
        return f"refund {data['id']} is {data['status']}, {data['amount']} {data['currency']}"
    return f"a test of endpoint {data.get('webhookId')}"


def make_handler(secret: str, fail_first: int) -> type[BaseHTTPRequestHandler]:
    webhook = Webhook(secret)
    failures_left = [fail_first]

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            try:
                event = webhook.verify(body, {k.lower(): v for k, v in self.headers.items()})
            except WebhookVerificationError as exc:
                print(f"REJECTED {self.headers.get('webhook-id')}: {exc}", flush=True)
                self._answer(400)
                return
            if failures_left[0] > 0:
                failures_left[0] -= 1
                print(f"answering 500 to {event['id']} (as asked by --fail)", flush=True)
                self._answer(500)
                return
            print(f"verified {event['type']} {event['id']}: {describe(event)}", flush=True)
            print(json.dumps(event, indent=2), flush=True)
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args) -> None:  # the prints above say what matters
            pass

    return Receiver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secret", required=True,
                        help="the endpoint's secret (whsec_...), as POST /v1/webhooks showed it")
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--fail", type=int, default=0, help="answer 500 to the first N deliveries")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.secret, args.fail))
    # SIGTERM ends it like Ctrl-C: a clean stop, not death by signal.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"listening on http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
