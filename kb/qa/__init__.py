"""Answering: question analysis -> candidates -> one learned score -> a composer per answer type -> grounding.

    analysis.py    the answer type from the question's interrogative form (kb/lexicon/answer_types.tsv)
    candidates.py  sentences and enumerated items of the top clauses, boilerplate and headings dropped
    scoring.py     general features of a candidate and the logistic model fitted on dev gold
                   (kb/lexicon/answer_model.json, fitted by `python -m eval.fit_answer_model`)
    composers.py   one answer shape per type (value first, 可以/不可以, the whole list, the defining sentence)
    answerer.py    the flow, found / not found from the calibrated score, the specific refusals
"""
