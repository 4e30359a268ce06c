"""POST /tokens (user name and password, throttled like the login form), list and revoke."""

from flask_login import current_user
from flask_smorest import abort

from eldercare import form_actions
from eldercare.api import pagination, schemas
from eldercare.api.access import token_required
from eldercare.api.blueprint import N_, bp
from eldercare.auth import policy, tokens
from eldercare.auth.models import User
from eldercare.auth.services import authenticate
from eldercare.auth.throttles import login_attempts
from eldercare.extensions import db


@bp.route("/tokens", methods=["POST"])
@login_attempts(lambda response: response.status_code == 401)
@bp.arguments(schemas.TokenRequest)
@bp.response(201, schemas.NewToken)
@bp.doc(security=[], summary=N_("Get a bearer token for a user name and password"))
def create_token(body):
    """Failed attempts count against the same limits as the login form (per user name and per address)."""
    user = authenticate(body["username"], body["password"])
    if user is None:
        abort(401, message="Wrong user name or password.")

    def issue():
        token, secret = tokens.issue(user, name=body["name"], days=body["days"])
        return {"id": token.id, "token": secret, "expires_at": token.expires_at}

    return form_actions.run_json(issue, 201)


@bp.route("/tokens", methods=["GET"])
@token_required()
@bp.arguments(schemas.TokenListArgs, location="query")
@bp.arguments(pagination.PageArgs, location="query")
@bp.response(200, pagination.page_schema(schemas.TokenInfo, "TokenPage"))
@bp.doc(summary=N_("Your tokens (a bureau administrator: any user's, with user_id)"))
def list_tokens(args, page):
    user_id = args["user_id"] or current_user.id
    if user_id != current_user.id:
        policy.require(policy.can_manage_users(current_user))
    fields = schemas.TokenInfo().fields
    return pagination.paginate([{name: getattr(t, name) for name in fields} for t in tokens.tokens_of(user_id)], page)


@bp.route("/tokens/<int:token_id>", methods=["DELETE"])
@token_required()
@bp.response(200, schemas.TokenInfo)
@bp.doc(summary=N_("Revoke one of your tokens"))
def revoke_token(token_id):
    token = policy.fetch(tokens.ApiToken, token_id, policy.owns_token)
    return form_actions.run_json(lambda: tokens.revoke(current_user, token))


@bp.route("/users/<int:user_id>/tokens/revoke", methods=["POST"])
@token_required()
@bp.arguments(schemas.Empty)
@bp.response(200, schemas.RevokedCount)
@bp.doc(summary=N_("Revoke every token of a user (yourself, or anyone for a bureau administrator)"))
def revoke_user_tokens(_body, user_id):
    if user_id != current_user.id:
        policy.require(policy.can_manage_users(current_user))
    user = db.get_or_404(User, user_id)
    return form_actions.run_json(lambda: {"revoked": tokens.revoke_all(current_user, user)})
