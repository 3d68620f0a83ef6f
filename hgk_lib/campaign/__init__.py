"""The campaign after the desk audit (campaign.md §2–§5): the record, its state machine, read-back of the counties'
ledgers and visit plans, spot-check feedback, progress queries and the report to the province.

* :mod:`.record`   — ``outputs/<year>/campaign.sqlite``: schema, migrations, transactions, runs
* :mod:`.states`   — the state table and re-audit reconciliation
* :mod:`.collect`  — reading back filled ledgers (问题清单, 市抽查整改意见) and visit plans (走访清单, 核查事项)
* :mod:`.spotcheck` — the city's confirmed spot-check problems as 市抽查 items, sheet 市抽查整改意见
* :mod:`.progress` — per county × department states, overdue, closure rate, stage timeline, open-item curve
* :mod:`.report`   — 回头看总结报告_<year>.docx and 省系统更正清单_<year>.xlsx
"""
