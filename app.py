"""Chat with a news article: every answer cites the passages it comes from.

    python app.py            # http://127.0.0.1:7860

This is also the Hugging Face Space's `app_file`. Host and port follow Gradio's own
GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (a Space sets 0.0.0.0 and 7860). The bot's
configuration comes from the BOT_* environment variables (see README.md); with none
set it answers offline from the bundled article and embedding model.
"""

from __future__ import annotations

import logging
import os


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # Chroma: no telemetry calls from an offline app
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    from bot.app.ui import launch

    port = os.environ.get("GRADIO_SERVER_PORT")
    launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME") or None,
        server_port=int(port) if port else None,
    )


if __name__ == "__main__":
    main()
