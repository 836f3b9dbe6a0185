"""Where messages go: an SMTP server (STARTTLS, TLS or plain; user and password), or a
folder of ``.eml`` files — the embedded default, so a new installation's mail can be read
without a mail server."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from openoms.shared.errors import OmsError


class SendFailed(OmsError):
    """The mail server refused or could not be reached; the message is retried."""

    code = "send_failed"
    kind = "unavailable"
    title = "Mail not sent"


class MailSender(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Hand the message over; returns its id as the server knows it.

        Raises: SendFailed."""
        ...


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int
    security: str = "starttls"  # starttls | tls | none
    user: str = ""
    password: str = ""
    timeout: float = 20.0

    def send(self, message: EmailMessage) -> str:
        context = ssl.create_default_context()
        try:
            if self.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=context)
                if self.user:
                    client.login(self.user, self.password)
                refused = client.send_message(message)
        except (OSError, smtplib.SMTPException) as e:
            raise SendFailed(f"{self.host}:{self.port}: {e}") from e
        if refused:
            raise SendFailed(f"{self.host}:{self.port} refused {', '.join(refused)}")
        return str(message["Message-ID"])


@dataclass(frozen=True)
class FolderSender:
    """Writes each message as ``<id>.eml`` into ``folder`` (made if missing)."""

    folder: Path

    def send(self, message: EmailMessage) -> str:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = str(message["Message-ID"]).strip("<>").replace("@", "_at_").replace("/", "_")
            (self.folder / f"{name}.eml").write_bytes(bytes(message))
        except OSError as e:
            raise SendFailed(f"cannot write to {self.folder}: {e}") from e
        return str(message["Message-ID"])


def compose(sender: str, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML as the better part."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    domain = sender.rsplit("@", 1)[-1].strip(">") or "openoms.local"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
