"""Training the reader (`python -m bot train-answerer`): the questions it learns from and
what is made from them (data), the joint reader's fine-tuning (joint), and the whole run
with the ranker, the refusal, the threshold and the weights' manifest (train).

Nothing here runs when answering: the reader (bot.reading) only loads what this wrote.
"""
