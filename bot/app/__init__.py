"""The edges: the command line (cli, with eval_command), batch answering (batch), the
Gradio page (ui, with its event handlers in handlers, its style in page.css and its
citation links' script in page.js), the rendering of answers to Markdown/HTML (render),
the page's Sources panel and article view (panels), conversation exports (exports)
and the 👍/👎 log (feedback). They only turn `Answer`s and `BotError`s into text.

Public API: `main` (cli); `create_app`, `launch` (ui); `answer_batch` (batch).
"""
