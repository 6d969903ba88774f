"""The course's lessons, one module each (``NN_name.py``, defining ``LESSON``); see ``../course.py``."""
