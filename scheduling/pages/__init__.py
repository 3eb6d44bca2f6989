"""The public pages: booking, the attendee's self-service, opt-in, the host's
decision, rooms and calendar feeds.

Attendees never log in. Every page works with plain links and form posts;
``static/scheduling/pages.js`` only smooths them. Views parse and render: reads
come from ``selectors`` (this package's and the app's), the slots from
``scheduling.selectors.available_slots``, and every change goes through the same
service the API calls, whose DomainError becomes a message on the page. The
attendee's time zone travels in the ``tz`` query parameter of every link. Every
POST is anonymous and limited first (``publiclimits``, ``common.limited_posts``).

- ``booking``: a meeting type's month of free times and the booking form
- ``month``: the month grid those pages (and rescheduling) show
- ``host``: a user's page of meeting types, and the host's confirm or decline
- ``attendee``: the signed links of the booker (manage, cancel, reschedule, opt-in)
- ``rooms``: the join pages of rooms
- ``feeds``: a user's secret iCalendar feed of appointments
"""
