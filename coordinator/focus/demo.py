"""Demo data for interviewing: focus areas with rating guidance, a question bank, who is qualified for what, and
an interview plan for each demo job. Loaded by `coordinator.demo.seed_demo`."""

from __future__ import annotations

from coordinator.auth.models import User
from coordinator.focus import services as fs
from coordinator.focus.rating import Rating
from coordinator.hiring.models import Job

S_NO, NO, YES, S_YES = Rating.STRONG_NO, Rating.NO, Rating.YES, Rating.STRONG_YES

# name: (description, {rating: guidance})
AREAS: dict[str, tuple[str, dict[Rating, str]]] = {
    "Technical depth": (
        "Command of the tools and fundamentals the role uses every day, and knowing why they work as they do.",
        {S_YES: "Explains trade-offs from first principles, knows failure modes from experience, teaches the "
                "interviewer something.",
         YES: "Solid working knowledge; explains why, not only how; knows where their knowledge ends.",
         NO: "Knows the vocabulary but not the mechanics; answers stay at tutorial level.",
         S_NO: "Misconceptions about fundamentals the role relies on; cannot go below the surface."}),
    "System design": (
        "Designing systems that meet requirements at scale: components, data flow, failure handling, trade-offs.",
        {S_YES: "Drives the design: clarifies requirements, quantifies load, names trade-offs and failure modes "
                "unprompted, adapts when constraints change.",
         YES: "A workable design with sensible components; handles the main failure cases when asked.",
         NO: "Jumps to components without requirements; misses bottlenecks or data consistency issues.",
         S_NO: "No coherent design; cannot reason about scale or failure even with help."}),
    "Problem solving": (
        "Breaking down an unfamiliar problem, forming hypotheses, testing them and reaching a sound answer.",
        {S_YES: "Structures the problem quickly, tests assumptions, finds an elegant approach and checks it.",
         YES: "Reaches a correct approach with a clear structure; needs few hints.",
         NO: "Gets stuck without a structure; needs repeated hints; does not verify the answer.",
         S_NO: "Cannot make progress; guesses without reasoning."}),
    "Collaboration": (
        "Working with others: sharing context, handling disagreement, helping the team succeed.",
        {S_YES: "Concrete examples of making others better; resolves disagreement with data and empathy.",
         YES: "Works well with others, seeks input, handles disagreement constructively.",
         NO: "Examples are about working alone; vague about how conflicts were resolved.",
         S_NO: "Blames others, dismisses other views, or describes undermining colleagues."}),
    "Ownership": (
        "Taking responsibility for outcomes beyond the assigned task: seeing problems through, owning mistakes.",
        {S_YES: "Repeatedly stepped up beyond their role, owned failures openly and changed how the team works.",
         YES: "Sees their work through to the outcome; owns mistakes and learns from them.",
         NO: "Does what was asked; hands problems back; little reflection on mistakes.",
         S_NO: "Deflects responsibility; describes outcomes as someone else's problem."}),
    "Communication": (
        "Explaining clearly to the audience at hand, listening, and writing and speaking with structure.",
        {S_YES: "Adapts to the listener, structures answers crisply, checks understanding, concise under pressure.",
         YES: "Clear and structured; answers the question asked.",
         NO: "Rambles or stays abstract; the interviewer has to dig for the point.",
         S_NO: "Hard to follow; does not listen to the question."}),
    "Product sense": (
        "Understanding users and the business, choosing what to build and how to measure it.",
        {S_YES: "Starts from user problems, prioritises with clear reasoning, defines metrics that matter and "
                "anticipates second-order effects.",
         YES: "Good user focus and prioritisation; sensible success metrics.",
         NO: "Feature-first thinking; metrics are vanity or missing.",
         S_NO: "No user perspective; cannot say why anything should be built."}),
    "Culture add": (
        "What the candidate brings that the team lacks today, and how they live our values of openness and care.",
        {S_YES: "Brings a perspective or practice the team clearly lacks, with examples of spreading it.",
         YES: "Shares our values and adds something of their own.",
         NO: "Fits in without adding; little evidence of the values.",
         S_NO: "Behaviour at odds with our values (dismissive, secretive, careless with people)."}),
}

# focus area: [(kind, question, probes)]
QUESTIONS: dict[str, list[tuple[str, str, str]]] = {
    "Technical depth": [
        ("behavioral", "Tell me about the hardest production bug you traced to its root cause.",
         "How did you narrow it down?\nWhat did you learn about the system?\nWhat did you change so it cannot recur?"),
        ("situational", "A query that took 2 seconds now takes 40 after a data growth spurt. What do you do?",
         "What would you measure first?\nWhen would you change the schema rather than the query?"),
        ("practical", "Walk me through what happens, step by step, when a Kafka consumer group rebalances.",
         "What goes wrong with long processing times?\nHow would you avoid duplicate processing?"),
    ],
    "System design": [
        ("practical", "Design a pipeline that ingests 50,000 events a second and serves hourly aggregates.",
         "Where does it break first?\nHow do you handle late and duplicate events?\nWhat would you monitor?"),
        ("situational", "Your service must stay correct when the payment provider times out. How do you design "
                        "the calls?",
         "What does idempotency mean here?\nHow do you reconcile afterwards?"),
        ("behavioral", "Tell me about a design of yours that did not survive contact with production.",
         "What did you miss?\nHow did you change it?"),
    ],
    "Problem solving": [
        ("practical", "Here is a week of activation data with a sudden drop on Wednesday. Find out why.",
         "Which hypotheses did you rule out, and how?\nWhat would you check next with more time?"),
        ("situational", "Two teams report conflicting numbers for the same metric. How do you find the truth?",
         "Where do definitions usually drift?\nHow would you stop it happening again?"),
        ("behavioral", "Tell me about a problem you solved that others had given up on.",
         "What was your first approach?\nWhat made you change course?"),
    ],
    "Collaboration": [
        ("behavioral", "Tell me about a time you disagreed with a colleague on a technical decision.",
         "How did you reach a decision?\nWhat happened to the relationship?"),
        ("situational", "A partner team keeps missing the deadlines your project depends on. What do you do?",
         "Who would you talk to first?\nWhen would you escalate?"),
        ("behavioral", "Tell me about a time you helped a teammate succeed at something hard.",
         "What exactly did you do?\nHow did you know it helped?"),
    ],
    "Ownership": [
        ("behavioral", "Tell me about a mistake of yours that reached customers.",
         "How did you find out?\nWhat did you do in the first hour?\nWhat changed afterwards?"),
        ("behavioral", "Tell me about something outside your job description you took on because nobody did.",
         "Why you?\nWhat did it cost you?"),
        ("situational", "You inherit a service with no tests and frequent incidents. What do you do in your first "
                        "month?",
         "What would you not do?\nHow would you show progress?"),
    ],
    "Communication": [
        ("practical", "Explain a project of yours to me as if I were a new sales colleague, in three minutes.",
         "What did you leave out, and why?"),
        ("behavioral", "Tell me about a time you had to deliver bad news to a stakeholder.",
         "How did you prepare?\nHow did they react?"),
        ("situational", "Your written proposal got no responses in a week. What do you do?",
         "How would you change the proposal?"),
    ],
    "Product sense": [
        ("practical", "Our trial-to-paid conversion is 8%. Propose three experiments to raise it and how you would "
                      "judge them.",
         "Which would you run first and why?\nWhat could make a winning experiment a bad idea?"),
        ("behavioral", "Tell me about a feature you decided not to build.",
         "What evidence convinced you?\nHow did you say no?"),
        ("situational", "Sales asks for a feature one big customer wants. How do you decide?",
         "Who else would you ask?\nWhat would make you say yes?"),
    ],
    "Culture add": [
        ("behavioral", "Tell me about a practice you brought to a team that stuck.",
         "How did you convince people?\nWhat did you have to adapt?"),
        ("situational", "You notice a colleague being talked over in meetings. What do you do?",
         "What if it continues?"),
        ("behavioral", "What is something you believe about building software that most of your colleagues do not?",
         "What experience taught you that?"),
    ],
}

# person (demo e-mail local part): (qualified areas, shadowing areas)
QUALIFIED: dict[str, tuple[list[str], list[str]]] = {
    "hannah": (["Ownership", "Collaboration", "Technical depth", "Culture add"], []),
    "marcus": (["Product sense", "Communication", "Culture add", "Ownership"], []),
    "anjali": (["Ownership", "Collaboration", "System design"], []),
    "jonas": (["System design", "Technical depth", "Problem solving"], []),
    "lena": (["Technical depth", "Problem solving", "Collaboration"], []),
    "tobias": (["System design", "Technical depth"], []),
    "claire": (["Collaboration", "Communication", "Product sense"], []),
    "david": (["Product sense", "Problem solving", "Communication"], []),
    "emily": (["Collaboration", "Ownership", "Communication"], []),
    "carlos": (["Technical depth", "Problem solving", "Collaboration"], []),
    "rachel": (["Culture add", "Ownership", "Communication"], []),
    "priya": (["Technical depth", "Problem solving", "System design"], []),
    "arjun": (["System design", "Technical depth", "Problem solving"], []),
    "deepa": (["Collaboration", "Problem solving"], []),
    "vikram": (["Technical depth", "Collaboration", "Ownership", "System design"], []),
    "tom": ([], ["Problem solving", "Technical depth"]),
}

# job index: (focus areas, plan steps: (title, kind, minutes, interviewers, pool, areas, prep minutes, prep text))
PLANS: dict[int, tuple[list[str], list[tuple[str, str, int, int, list[str], list[str], int, str]]]] = {
    0: (["Technical depth", "System design", "Problem solving", "Collaboration", "Ownership"], [
        ("Hiring manager conversation", "one_on_one", 45, 1, ["hannah"], ["Ownership"], 0, ""),
        ("System design", "panel", 60, 2, ["jonas", "tobias", "priya", "arjun", "vikram"],
         ["System design", "Technical depth"], 0, ""),
        ("Pipeline exercise", "practical", 75, 1, ["lena", "priya", "carlos", "jonas"], ["Problem solving"], 30,
         "Read the attached schema of a clickstream pipeline and note where you would expect it to fail."),
        ("Team conversation", "one_on_one", 45, 1, ["claire", "lena", "deepa", "emily"], ["Collaboration"], 0, ""),
    ]),
    1: (["Product sense", "Problem solving", "Communication", "Collaboration", "Culture add"], [
        ("Hiring manager conversation", "one_on_one", 45, 1, ["marcus"], ["Product sense"], 0, ""),
        ("Growth case study", "practical", 60, 1, ["david", "carlos", "deepa"], ["Problem solving"], 45,
         "Review the activation funnel data we send you and prepare a 10-minute proposal."),
        ("Cross-functional panel", "panel", 45, 2, ["claire", "emily", "rachel", "david"],
         ["Collaboration", "Communication"], 0, ""),
        ("Values conversation", "one_on_one", 30, 1, ["rachel", "hannah"], ["Culture add"], 0, ""),
    ]),
    2: (["Technical depth", "System design", "Problem solving", "Collaboration", "Ownership"], [
        ("Hiring manager conversation", "one_on_one", 45, 1, ["anjali"], ["Ownership"], 0, ""),
        ("Coding exercise", "practical", 75, 1, ["arjun", "priya", "carlos", "jonas"],
         ["Problem solving", "Technical depth"], 0, ""),
        ("Payments system design", "panel", 60, 2, ["vikram", "jonas", "tobias"], ["System design"], 0, ""),
        ("Team conversation", "one_on_one", 30, 1, ["deepa", "carlos", "lena"], ["Collaboration"], 0, ""),
    ]),
}


def seed_interviewing(users: dict[str, User], jobs: list[Job]) -> int:
    """Load the demo's focus areas, questions, qualifications and interview plans; returns the number of areas."""
    areas = {}
    for name, (description, guidance) in AREAS.items():
        areas[name] = fs.create_focus_area(fs.FocusAreaData(name=name, description=description, guidance=guidance))
    for area_name, questions in QUESTIONS.items():
        for kind, text, probes in questions:
            fs.create_question(fs.QuestionData(text=text, kind=kind, focus_area_id=areas[area_name].id,
                                               probes=probes), users["rita"])
    for local, (qualified, shadowing) in QUALIFIED.items():
        levels = {areas[a].id: fs.QUALIFIED for a in qualified}
        levels.update({areas[a].id: fs.SHADOWING for a in shadowing})
        fs.set_qualifications(users[local], levels)
    for job_index, (job_areas, steps) in PLANS.items():
        job = jobs[job_index]
        fs.set_job_focus_areas(job, [areas[a].id for a in job_areas])
        for title, kind, minutes, count, pool, step_areas, prep_min, prep in steps:
            fs.add_plan_step(job, fs.PlanStepData(
                title=title, kind=kind, duration_min=minutes, interviewer_count=count,
                pool_ids=tuple(users[p].id for p in pool), focus_area_ids=tuple(areas[a].id for a in step_areas),
                prep_min=prep_min, prep_instructions=prep))
    return len(areas)
