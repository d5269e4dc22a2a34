"""A real SMTP server for the delivery tests (Python's aiosmtpd), on 127.0.0.1.

    python3 smtp_server.py DIR

prints its port on the first line of stdout, then stores every message it accepts as
DIR/NNNNNN.eml, with the envelope (MAIL FROM and the RCPT TO list) as DIR/NNNNNN.json, written
before the 250 reply so that an accepted message is always on disk. Faults, read from DIR/mode
at each message (the test writes it): a line such as `451 4.3.0 Try again later` is the reply
to DATA instead of 250; recipients whose address starts with `reject-` are refused at RCPT
with 550. With PATCHPLAN_TEST_SMTP_AUTH=USER:PASSWORD in its environment it requires AUTH
(over plain text, as it listens on loopback only) with those credentials. It runs until it is
killed.
"""

import json
import logging
import os
import socket
import sys
import threading
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject-"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mode = os.path.join(self.directory, "mode")
        if os.path.exists(mode):
            with open(mode) as f:
                reply = f.read().strip()
            if reply:
                return reply
        with self.lock:
            self.count += 1
            stem = os.path.join(self.directory, "%06d-%d" % (self.count, os.getpid()))
        with open(stem + ".eml.partial", "wb") as f:
            f.write(envelope.original_content)
        os.replace(stem + ".eml.partial", stem + ".eml")
        with open(stem + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        return "250 Message accepted for delivery"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    # AUTH over plain text is what the test means to do, on loopback: no warnings about it.
    warnings.filterwarnings("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    port = free_port()
    options = {}
    credentials = os.environ.get("PATCHPLAN_TEST_SMTP_AUTH")
    if credentials:
        user, password = credentials.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            good = auth_data.login == user.encode() and auth_data.password == password.encode()
            if good:
                return AuthResult(success=True)
            # The reply is spelled out: without it aiosmtpd 1.4 leaves the client waiting.
            invalid = "535 5.7.8 Authentication credentials invalid"
            return AuthResult(success=False, handled=False, message=invalid)

        options = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    controller = Controller(
        Handler(directory), hostname="127.0.0.1", port=port, **options
    )
    controller.start()
    print(port, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
