"""Alerts for walidata: failed runs, failed checks, quarantined batches and late agencies, sent by e-mail
(SMTP) and to a generic webhook (JSON POST). Where to send them is configured in `catalogue/alerts.yaml`;
passwords and tokens come from the environment variables it names."""

import os
import smtplib
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path

import requests
import yaml

from pipelines.settings import catalogue_dir

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Alert:
    kind: str  # run_failed | check_failed | quarantined | late
    subject: str  # one line, Bahasa Indonesia / English
    body: str
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AlertConfig:
    smtp: dict | None = None
    webhook: dict | None = None


def load_config(path: Path | None = None) -> AlertConfig:
    path = path or catalogue_dir() / "alerts.yaml"
    if not path.exists():
        return AlertConfig()
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return AlertConfig(smtp=doc.get("smtp"), webhook=doc.get("webhook"))


def _send_mail(alert: Alert, cfg: dict) -> None:
    message = EmailMessage()
    message["Subject"] = f"[Satu Data] {alert.subject}"
    message["From"] = cfg["from"]
    message["To"] = ", ".join(cfg["to"])
    message.set_content(alert.body)
    with smtplib.SMTP(cfg["host"], int(cfg.get("port", 25)), timeout=TIMEOUT_SECONDS) as smtp:
        if cfg.get("starttls"):
            smtp.starttls()
        if cfg.get("user_env"):
            smtp.login(os.environ[cfg["user_env"]], os.environ[cfg["password_env"]])
        smtp.send_message(message)


def _post_webhook(alert: Alert, cfg: dict) -> None:
    headers = {}
    if cfg.get("token_env"):
        headers["Authorization"] = f"Bearer {os.environ[cfg['token_env']]}"
    response = requests.post(cfg["url"], json=asdict(alert), headers=headers, timeout=TIMEOUT_SECONDS)
    response.raise_for_status()


def send(alert: Alert, config: AlertConfig) -> list[str]:
    """Deliver to every configured channel; returns the channels that took it. A channel that fails does
    not stop the others; the failure is raised after all were tried, so the sensor tick shows it."""
    delivered, errors = [], []
    for channel, cfg, deliver in (("smtp", config.smtp, _send_mail), ("webhook", config.webhook, _post_webhook)):
        if not cfg:
            continue
        try:
            deliver(alert, cfg)
            delivered.append(channel)
        except (OSError, smtplib.SMTPException, requests.RequestException, KeyError) as error:
            errors.append(f"{channel}: {type(error).__name__}: {error}")
    if errors:
        raise RuntimeError("peringatan tidak terkirim / alert not delivered: " + "; ".join(errors))
    return delivered
