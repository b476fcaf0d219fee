"""The candidate's private page: availability, self-booking of the whole loop, itinerary and timeline."""
