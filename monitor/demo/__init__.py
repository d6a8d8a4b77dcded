"""The offline demo's data: recorded pages of real sources and the rows they 'publish' overnight.

The demo itself (`cgt-monitor demo`) is `monitor/cli/demo.py`.
"""
