"""One lock for loading models: importing transformers (a lazily filled module) from two
threads at once can fail half-way ("cannot import name 'AutoModel'"), so every load of
the embedder, the joint reader and the reader's weights takes this lock."""

import threading

LOCK = threading.RLock()
