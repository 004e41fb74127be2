"""Departments and employees, with managers and salaries."""

import numpy as np
import pandas as pd

from domain.demo.frame import Frame, cents_to_text, email_address, ints_where

DEPARTMENTS = (
    ("MGMT", "Management", "Managing Director", 180_000),
    ("SALES", "Sales", "Account Manager", 62_000),
    ("MKT", "Marketing", "Marketing Specialist", 55_000),
    ("SUP", "Customer Support", "Support Agent", 42_000),
    ("FIN", "Finance", "Accountant", 58_000),
    ("WH", "Warehouse & Logistics", "Warehouse Operative", 38_000),
    ("HR", "People", "HR Partner", 52_000),
)
# Share of staff per department (after the managing director); sales dominates.
DEPARTMENT_WEIGHTS = np.array([0.0, 0.55, 0.1, 0.12, 0.08, 0.1, 0.05])


def generate_people(frame: Frame) -> None:
    """Departments, then employees: a director, one head per department, staff under heads."""
    rng = frame.rng
    departments = pd.DataFrame(
        {
            "id": np.arange(1, len(DEPARTMENTS) + 1),
            "code": [code for code, *_ in DEPARTMENTS],
            "name": [name for _, name, *_ in DEPARTMENTS],
            "parent_id": ints_where(
                np.ones(len(DEPARTMENTS), dtype=int), np.arange(len(DEPARTMENTS)) > 0
            ),
        }
    )
    count = max(25, frame.customers // 40)
    staff = count - len(DEPARTMENTS)
    staff_department = rng.choice(
        np.arange(2, len(DEPARTMENTS) + 1),
        size=staff,
        p=DEPARTMENT_WEIGHTS[1:] / DEPARTMENT_WEIGHTS[1:].sum(),
    )
    # Guarantee at least two sales reps so record rules have something to separate.
    staff_department[:2] = 2
    department = np.concatenate([np.arange(1, len(DEPARTMENTS) + 1), staff_department])
    ids = np.arange(1, count + 1)
    heads = np.arange(1, len(DEPARTMENTS) + 1)
    manager = np.concatenate(
        [[0], np.ones(len(DEPARTMENTS) - 1, dtype=int), heads[staff_department - 1]]
    )
    first, last = frame.person_names(count)
    base_salary = np.array([salary for *_, salary in DEPARTMENTS])[department - 1]
    head_bonus = np.where(np.isin(ids, heads), 1.6, 1.0)
    head_bonus[0] = 1.0
    salary_cents = (base_salary * head_bonus * rng.uniform(0.85, 1.3, size=count) * 100).astype(
        np.int64
    )
    titles = np.array([title for *_, title, _ in DEPARTMENTS], dtype=object)[department - 1]
    titles = np.where(
        np.isin(ids, heads[1:]), "Head of " + departments["name"].to_numpy()[department - 1], titles
    )
    hire_days = rng.integers(-8 * 365, frame.days - 30, size=count)
    status = rng.choice(["active", "on_leave", "terminated"], size=count, p=[0.93, 0.03, 0.04])
    status[: len(DEPARTMENTS) + 2] = "active"
    emails = [
        email_address(f, last_name, i, domain="bizgraph.example")
        for i, f, last_name in zip(ids, first, last, strict=True)
    ]
    frame.tables["erp.department"] = departments
    frame.tables["erp.employee"] = pd.DataFrame(
        {
            "id": ids,
            "department_id": department,
            "manager_id": ints_where(manager, manager > 0),
            "name": [f"{f} {last_name}" for f, last_name in zip(first, last, strict=True)],
            "email": emails,
            "title": titles,
            "hire_date": frame.day_offsets_to_dates(hire_days),
            "salary": cents_to_text(salary_cents),
            "status": status,
        }
    )
    frame.pools["sales_reps"] = ids[(department == 2) & (status != "terminated")]
    frame.pools["support"] = ids[department == 4]
    frame.pools["marketing"] = ids[department == 3]
    frame.pools["finance"] = ids[department == 5]
    frame.pools["warehouse"] = ids[department == 6]
