"""Jobs and candidates through the pages, as each role sees them."""

from __future__ import annotations

from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.hiring.models import Candidate, Job
from tests.helpers import text_of


def _candidate_form(job_id, **overrides):
    data = {"name": "Rohan Gupta", "email": "rohan@example.org", "timezone": "Asia/Kolkata", "job_id": str(job_id),
            "stage": "to_schedule", "first_interview_emphasis": "UPI integration", "probe_further": "Concurrency"}
    data.update(overrides)
    return data


def test_recruiter_creates_a_job_and_adds_a_candidate(app, org, client_for):
    client = client_for(org["recruiter"])
    response = client.post("/jobs/new", data={
        "title": "Backend Engineer, Payments", "department": "Payments",
        "hiring_manager_id": str(org["manager"].id), "recruiter_id": str(org["recruiter"].id), "status": "open"})
    assert response.status_code == 302
    job = db.session.scalar(select(Job).where(Job.title == "Backend Engineer, Payments"))
    page = text_of(client.get(f"/jobs/{job.id}"))
    assert "Hannah Manager" in page and "No candidates in the second round yet" in page

    response = client.post("/candidates/new", data=_candidate_form(job.id))
    assert response.status_code == 302
    detail = text_of(client.get(response.headers["Location"]))
    assert "Rohan Gupta" in detail and "UPI integration" in detail and "Asia/Kolkata" in detail


def test_candidate_form_shows_a_message_per_bad_field_and_saves_nothing(app, org, client_for):
    client = client_for(org["recruiter"])
    before = db.session.scalar(select(func.count(Candidate.id)))
    response = client.post("/candidates/new", data=_candidate_form(
        org["job"].id, name="", email="rohan@", timezone="Nowhere/Land", first_interview_emphasis="x" * 10_001))
    page = text_of(response)
    assert response.status_code == 400
    assert "This field is required." in page
    assert "Invalid email address." in page
    assert "Choose a time zone from the list." in page
    assert "Field cannot be longer than 10000 characters." in page
    assert db.session.scalar(select(func.count(Candidate.id))) == before


def test_recruiter_cannot_put_a_candidate_on_another_recruiters_job(app, org, client_for):
    client = client_for(org["recruiter"])
    response = client.post("/candidates/new", data=_candidate_form(org["other_job"].id))
    assert response.status_code == 400
    assert "Not a valid choice" in text_of(response) or "Choose one of your jobs." in text_of(response)
    assert db.session.scalar(select(Candidate).where(Candidate.email == "rohan@example.org")) is None


def test_each_role_sees_only_its_jobs(app, org, client_for):
    recruiter_jobs = text_of(client_for(org["recruiter"]).get("/jobs"))
    assert "Senior Data Engineer" in recruiter_jobs and "Office Manager" not in recruiter_jobs

    manager = client_for(org["manager"])
    assert "Senior Data Engineer" in text_of(manager.get("/jobs"))
    assert manager.get(f"/jobs/{org['other_job'].id}").status_code == 403
    assert manager.get(f"/candidates/{org['other_candidate'].id}").status_code == 403
    assert manager.get("/jobs/new").status_code == 403  # hiring managers do not open requisitions here

    admin_jobs = text_of(client_for(org["admin"]).get("/jobs"))
    assert "Senior Data Engineer" in admin_jobs and "Office Manager" in admin_jobs


def test_interviewer_sees_no_candidate_data(app, org, client_for):
    client = client_for(org["interviewer"])
    assert client.get(f"/candidates/{org['candidate'].id}").status_code == 403
    assert client.get(f"/jobs/{org['job'].id}").status_code == 403
    listing = client.get("/candidates")
    assert listing.status_code == 200 and "Ada Lovelace" not in text_of(listing)
    home = text_of(client.get("/"))
    assert "My interviews" in home and "Jobs" not in home.split("coordinator")[1][:40]


def test_hiring_manager_edits_the_notes_of_their_candidate(app, org, client_for):
    client = client_for(org["manager"])
    c = org["candidate"]
    response = client.post(f"/candidates/{c.id}/edit", data=_candidate_form(
        org["job"].id, name=c.name, email=c.email, timezone=c.timezone, probe_further="Incident leadership"))
    assert response.status_code == 302
    assert "Incident leadership" in text_of(client.get(f"/candidates/{c.id}"))


def test_candidate_search_filters_by_text_stage_and_job(app, org, make_candidate, client_for):
    make_candidate(name="Kwame Mensah", job=org["job"], stage="scheduled")
    client = client_for(org["recruiter"])
    assert "Kwame Mensah" in text_of(client.get("/candidates?q=kwame"))
    assert "Ada Lovelace" not in text_of(client.get("/candidates?q=kwame"))
    assert "Ada Lovelace" not in text_of(client.get("/candidates?stage=scheduled"))
    empty = text_of(client.get("/candidates?q=%25_%25"))  # LIKE wildcards are searched for literally
    assert "No candidate matches these filters." in empty
    assert client.get("/candidates?job=notanumber").status_code == 200


def test_bad_ids_are_404(app, org, client_for):
    client = client_for(org["recruiter"])
    for url in ("/jobs/999999", "/candidates/999999", "/jobs/999999/edit", "/candidates/0/edit", "/jobs/-1"):
        assert client.get(url).status_code == 404, url
    page = client.get("/candidates/999999")
    assert "This page does not exist" in text_of(page) and "coordinator" in text_of(page)


def test_job_form_rejects_a_manager_who_is_not_a_hiring_manager(app, org, client_for):
    client = client_for(org["recruiter"])
    response = client.post("/jobs/new", data={
        "title": "X", "department": "Y", "hiring_manager_id": str(org["interviewer"].id),
        "recruiter_id": str(org["recruiter"].id), "status": "open"})
    assert response.status_code == 400 and "Not a valid choice" in text_of(response)
    response = client.post("/jobs/new", data={
        "title": "X", "department": "Y", "hiring_manager_id": "abc", "recruiter_id": "", "status": "weird"})
    assert response.status_code == 400
    assert db.session.scalar(select(Job).where(Job.title == "X")) is None


def test_interviewer_role_gets_403_on_creating_things(app, org, client_for):
    client = client_for(org["interviewer"])
    assert client.get("/jobs/new").status_code == 403
    assert client.post("/candidates/new", data=_candidate_form(org["job"].id)).status_code == 403
    page = client.get("/jobs/new")
    assert "You do not have access to this page" in text_of(page)
