"""Spoken calls on the group display: the text from a site's template, a chime, speech synthesis
(pyttsx3 on espeak-ng), playback, and the announcer that queues calls so they never overlap."""

from appliance.speech.announcer import Announcer, Played, default_announcer
from appliance.speech.text import TemplateError, check_template, split_ticket, spoken_text

__all__ = [
    "Announcer",
    "Played",
    "TemplateError",
    "check_template",
    "default_announcer",
    "split_ticket",
    "spoken_text",
]
