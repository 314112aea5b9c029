"""Small books shared by the render tests."""

# Three short chapters with an abbreviation, a title and a number to normalise.
THREE_CHAPTERS = """---
title: Three Small Chapters
author: Test Author
---

# Three Small Chapters

## Chapter 1. Morning

Mr. Jones opened the door. The hens ran out into the yard, loud and happy.

It was a fine day for it.

## Chapter 2. Noon

Dr. Watson arrived at noon with 3 letters. Nobody had expected him.

## Chapter 3. Night

The lamp was lit. Everyone slept.
"""
