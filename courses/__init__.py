"""Courses: content loaded from Markdown, enrolment, progress, assignment and completion."""
