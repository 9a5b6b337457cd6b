"""The homework loop: `gradcli exercise` writes a worksheet (and its key), `gradcli grade` marks
a filled one.

    generate.py   random exercises per level, the same for a seed on every machine
    answers.py    a cell's text read as a number (fractions, e^-1, −): a grammar, never eval
    sheet.py      a filled worksheet (Markdown or CSV) read back, cell by cell with its line
    diagnose.py   the common mistakes of a backward pass, as the numbers they give
    grade.py      every cell marked: correct, carried forward, a named mistake, or blank
"""
