"""Language models: the backends (registry of chat models), prompts, calls within a time
budget, citation verification, and the LLM `Answerer`.

Public API: `CHAT_MODELS`, `chat_model`, `describe` (backends), `LLMAnswerer` (answerer),
`Checker` (verify), `load` (prompts). Loads no client library at import.
"""
