"""Small data sets of the shapes adopters bring, generated in code (seeded, so deterministic).

- ``churn``: a Yes/No target, blanks in numeric columns, several categorical columns, a date,
  a customer id, and optionally a planted leak (a column recorded after the outcome);
- ``credit``: a 0/1 target written both as ``1`` and ``1.0``, numbers only plus two categories;
- ``tiers``: three classes, and a free-text column that is not a feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def churn(rows: int = 1500, seed: int = 0, leak: bool = False) -> pd.DataFrame:
    """Customers and whether they left (Yes/No, about 30 % Yes)."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], rows, p=[0.55, 0.25, 0.2])
    tenure = rng.integers(0, 72, rows).astype(float)
    charges = rng.normal(70, 25, rows).round(2)
    support = rng.choice(["Yes", "No", "No internet"], rows)
    logit = (-0.8 + 1.8 * (contract == "Month-to-month") - tenure / 25 + (charges - 70) / 40
             + 0.5 * (support == "No") + rng.normal(0, 0.8, rows))
    left = np.where(logit > 0, "Yes", "No")
    df = pd.DataFrame({
        "customer_id": [f"C{i:06d}" for i in range(rows)],
        "signup": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, rows), "D"),
        "contract": contract, "tenure": tenure, "monthly_charges": charges,
        "payment": rng.choice(["Card", "Transfer", "Check", "Wallet"], rows),
        "tech_support": support, "region": rng.choice(list("ABCDEFGH"), rows),
        "Churn": left})
    df["signup"] = df["signup"].dt.strftime("%Y-%m-%d")
    df["total_charges"] = (df["tenure"] * df["monthly_charges"]).round(2).astype(object)
    blanks = rng.random(rows) < 0.05
    df.loc[blanks, "total_charges"] = ""  # blanks in a numeric column, as in many exports
    if leak:
        # filled in by the retention team after the customer left: the outcome itself
        df["retention_call"] = np.where(left == "Yes", "made", "none")
        df["exit_survey_score"] = np.where(left == "Yes", rng.integers(1, 4, rows),
                                           rng.integers(6, 10, rows))
    return df


def credit(rows: int = 1000, seed: int = 1) -> pd.DataFrame:
    """Loan applicants and whether they defaulted: 0/1, some rows written 1.0 and 0.0."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(8, 0.6, rows).round(0)
    duration = rng.integers(6, 72, rows)
    age = rng.integers(19, 75, rows).astype(float)
    age[rng.random(rows) < 0.04] = np.nan
    history = rng.choice(["good", "delayed", "critical"], rows, p=[0.6, 0.25, 0.15])
    logit = -1.2 + duration / 30 + (history == "critical") * 1.5 - (age - 40) / 40 \
        + rng.normal(0, 0.7, rows)
    bad = (logit > 0).astype(int)
    labels = np.where(rng.random(rows) < 0.3, np.char.add(bad.astype(str), ".0"),
                      bad.astype(str))
    return pd.DataFrame({"amount": amount, "duration": duration, "age": age,
                         "history": history, "housing": rng.choice(["own", "rent"], rows),
                         "default": labels})


def tiers(rows: int = 1200, seed: int = 2) -> pd.DataFrame:
    """Three classes (bronze, silver, gold) from two numbers and a category."""
    rng = np.random.default_rng(seed)
    usage = rng.normal(50, 15, rows).round(1)
    usage[rng.random(rows) < 0.05] = np.nan
    plan = rng.choice(["basic", "plus", "pro"], rows)
    score = np.nan_to_num(usage, nan=50) / 15 + (plan == "pro") * 1.2 + rng.normal(0, 0.7, rows)
    tier = np.where(score > 4.3, "gold", np.where(score > 3.1, "silver", "bronze"))
    notes = [f"called on day {i} about invoice {rng.integers(1000, 9999)}" for i in range(rows)]
    return pd.DataFrame({"usage": usage, "plan": plan, "visits": rng.poisson(4, rows),
                         "note": notes, "tier": tier})


def tickets(rows: int = 520, seed: int = 23) -> pd.DataFrame:
    """Support tickets' priority: three classes, skewed (low 314, medium 160, high 46 of 520),
    from noisy numbers and a plan; a ticket id, an opening time written dd.mm.yyyy hh:mm and
    a free-text subject besides. Small enough that a seed-only retrain moves the share of
    predictions shown by up to 30 points."""
    rng = np.random.default_rng(seed)
    channel = rng.choice(["email", "phone", "chat", "portal"], rows, p=[.4, .2, .3, .1])
    plan = rng.choice(["free", "team", "enterprise"], rows, p=[.5, .35, .15])
    wait, seats = rng.exponential(6, rows).round(1), rng.integers(1, 400, rows)
    prior = rng.poisson(1.5, rows)
    z = 0.12 * wait + 0.9 * (plan == "enterprise") + 0.3 * prior + rng.normal(0, 1.2, rows)
    words = ["login", "invoice", "crash", "slow", "export", "refund", "api", "password"]
    opened = pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 200 * 1440, rows),
                                                          unit="min")
    return pd.DataFrame({
        "ticket": [f"T{100000 + i}" for i in range(rows)],
        "opened": opened.strftime("%d.%m.%Y %H:%M"), "channel": channel, "plan": plan,
        "hours_waiting": wait, "seats": seats, "prior_tickets": prior,
        "subject": [" ".join(rng.choice(words, 3)) + f" #{i}" for i in range(rows)],
        "priority": np.where(z > 3.2, "high", np.where(z > 1.6, "medium", "low"))})


def rentals(rows: int = 2000, seed: int = 3, leak: bool = False) -> pd.DataFrame:
    """Bike rentals per hour: a count target (many small values, zeros, a long right tail),
    numbers with blanks, categories, an id, and optionally a column counted after the hour."""
    rng = np.random.default_rng(seed)
    hour = rng.integers(0, 24, rows)
    temp = np.round(rng.normal(16, 8, rows), 1)
    humidity = np.clip(np.round(rng.normal(60, 18, rows)), 5, 100)
    weekday = rng.choice(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], rows)
    weather = rng.choice(["clear", "cloudy", "rain", "storm"], rows, p=[0.5, 0.3, 0.15, 0.05])
    peak = np.isin(hour, [7, 8, 17, 18]) & ~np.isin(weekday, ["Sat", "Sun"])
    rate = np.exp(1.5 + 0.06 * temp - 0.01 * humidity + 1.1 * peak
                  - 1.2 * (weather == "storm") - 0.5 * (weather == "rain")
                  - 1.0 * ((hour < 6) | (hour > 22)))
    count = rng.poisson(rate)
    df = pd.DataFrame({"ride_id": [f"R{i:07d}" for i in range(rows)], "hour": hour,
                       "temp": temp, "humidity": humidity, "weekday": weekday,
                       "weather": weather, "rentals": count})
    df.loc[rng.random(rows) < 0.03, "humidity"] = np.nan
    if leak:
        df["registered"] = (count * 0.8).round()  # counted when the hour is over
    return df
