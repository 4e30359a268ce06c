from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from eldercare.auth import policy, services
from eldercare.auth.forms import LoginForm, RegisterForm, UserForm
from eldercare.auth.models import Role, User
from eldercare.errors import DomainError
from eldercare.extensions import db, limiter
from eldercare.facilities.models import Facility

bp = Blueprint("auth", __name__)


def _login_key():
    return f"{request.remote_addr}:{request.form.get('username', '').strip().lower()}"


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect to another host after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_FAILURE_LIMIT"],
    key_func=_login_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 200,  # a failed login re-renders the form
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("facilities.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()
            login_user(user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or url_for("facilities.home"))
        flash(_l("Wrong user name or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
def register():
    """A family opens an account: name, mobile number (their user name) and a password."""
    if current_user.is_authenticated:
        return redirect(url_for("facilities.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(None, username=form.phone.data, full_name=form.full_name.data.strip(),
                                        role=Role.family, password=form.password.data, phone=form.phone.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            session.clear()
            login_user(user)
            flash(_l("Welcome. You can now apply for a placement."), "success")
            return redirect(url_for("placements.index"))
    return render_template("auth/register.html", form=form), (422 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_l("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")) or url_for("facilities.home"))


@bp.route("/users", methods=["GET", "POST"])
@policy.roles_required(Role.bureau_admin)
def users():
    form = UserForm()
    facilities = db.session.scalars(select(Facility).order_by(Facility.name))
    form.facility_ids.choices = [SelectChoice(f.id, f.name) for f in facilities]
    if form.validate_on_submit():
        try:
            services.create_user(
                current_user, username=form.username.data.strip(), full_name=form.full_name.data.strip(),
                role=Role(form.role.data), password=form.password.data, phone=form.phone.data,
                facility_ids=form.facility_ids.data,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.username.errors.append(str(error))
        else:
            flash(_l("The account was created."), "success")
            return redirect(url_for("auth.users"))
    accounts = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    return render_template("auth/users.html", form=form, accounts=accounts)
