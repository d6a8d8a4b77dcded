"""The offline demo: recorded pages of real sources served on 127.0.0.1, a baseline and a 'next day'."""
