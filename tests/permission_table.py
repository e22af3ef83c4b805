"""The shape of a permission row, shared by test_permissions.py and permission_rows_*.py."""
ROLES = ("anonymous", "teacher", "guard", "staff", "admin")


def row(anonymous, teacher, guard, staff, admin):
    """Expected status per role, in ROLES order."""
    return dict(zip(ROLES, (anonymous, teacher, guard, staff, admin)))


ALL = row(200, 200, 200, 200, 200)
SIGNED_IN = row(302, 200, 200, 200, 200)
