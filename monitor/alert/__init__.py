"""Alerting: route changes to subscriptions, render messages, dispatch the outbox through apprise."""
