"""The plan: `pulumi preview --json` turned into one review comment.

`changes` reads the preview into data (one LineChange per changed line, four
properties each, so no secret and no pickle reach it); `markdown` renders that
data as a pull-request comment. A plan is data before it is text.

Imports nothing of ours: it reads only the engine's JSON.
"""
