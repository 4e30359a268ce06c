from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from eldercare.auth import policy, services, sessions, throttles
from eldercare.auth.forms import ChangePasswordForm, LoginForm, RegisterForm, ResetPasswordForm, UserForm
from eldercare.auth.models import Role, User
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.redirects import redirect_back

bp = Blueprint("auth", __name__)


def _failed(response) -> bool:
    """A refused form is shown again (200 or 422); a success redirects."""
    return response.status_code in (200, 422)


@bp.route("/login", methods=["GET", "POST"])
@throttles.login_attempts(_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("facilities.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            sessions.start(user)
            db.session.commit()  # the language picked before logging in, stored on the account
            return redirect_back(request.args.get("next"))
        flash(_l("Wrong user name or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@throttles.registrations
def register():
    """A family opens an account: name, mobile number (their user name) and a password. The answer
    is the same whether or not the number already has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("facilities.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.register_family(full_name=form.full_name.data.strip(), phone=form.phone.data,
                                     password=form.password.data, locale=str(get_locale()))
            db.session.commit()
        except services.UsernameTaken:
            db.session.rollback()  # registered by another request at the same moment: the same answer
        except DomainError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        if not form.password.errors:
            # The same answer whether the account was opened now or the number already had one.
            flash(_l("Thank you. Log in now with your mobile number and your password. If this number already "
                     "had an account, its own password stays valid (the civil-affairs bureau can reset it)."), "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form), (422 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    services.log_out(current_user._get_current_object())
    db.session.commit()
    flash(_l("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        sessions.choose_language(code)
        db.session.commit()
    return redirect_back(request.form.get("next"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@throttles.password_changes
def change_password():
    """Every user changes their own password; their other sessions end."""
    form = ChangePasswordForm()
    form.account_username, form.account_phone = current_user.username, current_user.phone
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, current=form.current.data, new=form.password.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.current.errors.append(str(error))
        else:
            sessions.keep_this_one(user)
            flash(_l("Your password is changed. Your other sessions have ended."), "success")
            return redirect(url_for("facilities.home"))
    return render_template("auth/password.html", form=form), (422 if form.errors else 200)


@bp.route("/users", methods=["GET", "POST"])
@policy.roles_required(Role.bureau_admin)
def users():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user, username=form.username.data.strip(), full_name=form.full_name.data.strip(),
                role=Role(form.role.data), password=form.password.data, phone=form.phone.data or None,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.username.errors.append(str(error))
        else:
            flash(_l("The account was created."), "success")
            if user.role == Role.facility_manager:
                return redirect(url_for("assignments.user_facilities", user_id=user.id))
            return redirect(url_for("auth.users"))
    accounts = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    return render_template("auth/users.html", form=form, accounts=accounts), (422 if form.errors else 200)


def _account(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@policy.roles_required(Role.bureau_admin)
@throttles.password_changes
def account(user_id):
    """One account: the administrator resets its password or (de)activates it."""
    user = _account(user_id)
    form = ResetPasswordForm()
    form.account_username, form.account_phone = user.username, user.phone
    if form.validate_on_submit():
        try:
            services.reset_password(current_user, user, form.password.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            flash(_l("The password of %(name)s is reset; their sessions have ended.", name=user.username), "success")
            return redirect(url_for("auth.account", user_id=user.id))
    return render_template("auth/account.html", account=user, form=form), (422 if form.errors else 200)


@bp.post("/users/<int:user_id>/active")
@policy.roles_required(Role.bureau_admin)
def set_active(user_id):
    """Deactivate or reactivate an account (CSRF is checked for every POST by CSRFProtect)."""
    user = _account(user_id)
    active = request.form.get("active") == "1"
    try:
        services.set_active(current_user, user, active)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_l("The account is active again.") if active else _l("The account is deactivated; its sessions have "
                                                                     "ended."), "success")
    return redirect(url_for("auth.account", user_id=user.id))
