"""What happened to attendees, announced for whoever keeps track of people (crm).

Scheduling sends these; it never calls crm directly (crm depends on scheduling,
not the reverse). Receivers run synchronously, inside the sender's transaction,
so send them from within the transaction that made the change: the contact and
its timeline entry then commit, or roll back, with the booking.

Every signal is sent with ``sender`` (the sending class or module) and these
keyword arguments; those that do not apply are None:

- ``company``: the ``Company`` (workspace) the attendee belongs to
- ``email``, ``phone``: the attendee's email and phone (at least one)
- ``first_name``, ``last_name``: the attendee's names ("" when unknown)
- ``additional_data``: dict of the booking form's answers (or None)
- ``meeting_type_id``, ``meeting_type_title``, ``meeting_type_slug``: the
  meeting type (booking page) concerned
- ``room_id``, ``room_name``, ``room_display_name``: the room concerned
- ``attendee_id``: the attendee's UUID (what booking webhooks call ``attendeeId``)
- ``occurred_at``: aware datetime of the happening (None: now)
- ``metadata``: dict of anything else worth keeping on the timeline (or None)

A receiver may return a value: crm's return the contact, so
``signal.send(...)`` gives ``[(receiver, contact)]``.
"""

from django.dispatch import Signal

attendee_booked = Signal()
attendee_booking_cancelled = Signal()
attendee_booking_rescheduled = Signal()
attendee_no_show = Signal()
attendee_opted_in = Signal()
attendee_joined_room = Signal()
