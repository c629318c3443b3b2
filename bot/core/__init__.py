"""The ground every other package stands on: errors, settings and the answer contract.

Public API: `BotError` and its subclasses (errors), `Settings` (settings), `Answer` and
`Citation` (answer), the `Answerer` interface with `Draft` and `Unanswered` (answerer).
Imports nothing else of the bot.
"""
