"""Sign-up, the emailed links that prove an address (new accounts, changed addresses), and resending them."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from email_validator import EmailNotValidError, validate_email
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, field_validator, model_validator

from portal import i18n
from portal.i18n import gettext as _
from portal.services import credentials, registration
from portal.services.passwords import MAX_LENGTH, strength_problem
from portal.services.registration import SignUp
from portal.web.auth.controllers import FormData, home_for
from portal.web.auth.guards import requires_user
from portal.web.auth.throttling import allow, client_address, emails_per_address, enforce, forms_per_ip
from portal.web.forms import parse_form
from portal.web.origin import origin_of

_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")


def checked_email(value: str) -> str:
    """A syntactically valid address, lower-cased; no DNS lookup (the emailed link proves it works)."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError(_("Enter an email address like name@example.com.")) from None


def _required(value: str) -> str:
    if not value.strip():
        raise ValueError(_("This field is required."))
    return value.strip()


def _phone_number(value: str) -> str:
    if value.strip() and not _PHONE.match(value.strip()):
        raise ValueError(_("Enter a phone number with digits, spaces and an optional leading +."))
    return value.strip()


def _known_locale(value: str) -> str:
    if value not in i18n.LOCALES:
        raise ValueError(_("Choose one of the languages offered."))
    return value


def _strong_password(value: str) -> str:
    if problem := strength_problem(value):
        raise ValueError(problem)
    return value


# Field types shared by the sign-up, profile and password forms.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_required)]
EmailAddress = Annotated[str, Field(min_length=1, max_length=254), AfterValidator(checked_email)]
Phone = Annotated[str, Field(max_length=40), AfterValidator(_phone_number)]
Language = Annotated[str, AfterValidator(_known_locale)]
Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
NewPassword = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH), AfterValidator(_strong_password)]


class SignUpForm(BaseModel):
    name: Name
    email: EmailAddress
    password: Password
    company: str = Field("", max_length=200)
    phone: Phone = ""
    locale: Language = "en"
    accept_terms: str = Field("", validate_default=True)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str, info: ValidationInfo) -> str:
        problem = strength_problem(value, email=info.data.get("email", ""), name=info.data.get("name", ""))
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("accept_terms")
    @classmethod
    def _terms(cls, value: str) -> str:
        if value != "on":
            raise ValueError(_("Please accept the terms of use and the privacy notice to create an account."))
        return value


class NewPasswordForm(BaseModel):
    """A new password typed twice."""

    password: NewPassword
    confirm: Password

    @model_validator(mode="after")
    def _same(self) -> NewPasswordForm:
        if self.password != self.confirm:
            raise ValueError(_("The two passwords are not the same."))
        return self


def confirmation_error(errors: dict[str, str]) -> dict[str, str]:
    """A mismatch is reported on the whole form by pydantic; show it next to the second field."""
    if "__form__" in errors:
        errors.setdefault("confirm", errors.pop("__form__"))
    return errors


def language_options() -> list[tuple[str, str]]:
    return [(code, i18n.locale_name(code)) for code in i18n.LOCALES]


def sign_up_page(values: dict[str, Any], errors: dict[str, str], status_code: int = 200) -> Template:
    context = {"values": values, "errors": errors, "languages": language_options()}
    return Template("auth/register.html", context=context, status_code=status_code)


def invalid_link_page() -> Template:
    return Template("auth/link_invalid.html", status_code=400)


class RegistrationController(Controller):
    include_in_schema = False

    @get("/register", name="register")
    async def register_page(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        if request.user is not None:
            return Redirect(home_for(request.user), status_code=303)
        return sign_up_page({"locale": i18n.current_locale()}, {})

    @post("/register", status_code=303)
    async def register(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        settings = request.app.state.settings
        await enforce(request, forms_per_ip(settings), client_address(request))
        form, errors = parse_form(SignUpForm, data)
        if form is None:
            values = {key: data.get(key, "") for key in ("name", "email", "company", "phone", "locale", "accept_terms")}
            return sign_up_page(values, errors, status_code=422)
        # Over the per-address limit nothing is sent, but the answer is the same: it must not tell who exists.
        if await allow(request, emails_per_address(settings), form.email):
            sign_up = SignUp(
                name=form.name,
                email=form.email,
                password=form.password,
                locale=form.locale,
                company=form.company,
                phone=form.phone,
            )
            await registration.register(
                sign_up, settings=settings, mailer=request.app.state.mailer, origin=origin_of(request)
            )
        return Redirect("/register/check-email?" + urlencode({"email": form.email}), status_code=303)

    @get("/register/check-email", name="check_email")
    async def check_email(self, email: FromQuery[str] = "") -> Template:
        return Template("auth/check_email.html", context={"email": email[:254]})

    @get("/verify-email/{token:str}", name="verify_email")
    async def verify(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template | Redirect:
        user_id = await registration.verify_email(token, origin=origin_of(request))
        if user_id is None:
            return invalid_link_page()
        flash(request, _("Thank you: your email address is confirmed."), "success")
        if request.user is not None and request.user.id == user_id:
            return Redirect(home_for(request.user), status_code=303)
        return Redirect("/login", status_code=303)

    @post("/verify-email/resend", guards=[requires_user], status_code=303)
    async def resend(self, request: Request[Any, Any, Any]) -> Redirect:
        settings = request.app.state.settings
        await enforce(request, forms_per_ip(settings), client_address(request))
        user = request.user
        if user.email_verified:
            flash(request, _("Your email address is confirmed already."), "info")
        elif await allow(request, emails_per_address(settings), user.email):
            await registration.send_verification(user.id, settings=settings, mailer=request.app.state.mailer)
            flash(request, _("We sent a new link to %(email)s.") % {"email": user.email}, "success")
        else:
            flash(request, _("We have sent several links already. Please wait an hour and try again."), "error")
        return Redirect("/profile", status_code=303)

    @get("/email/confirm/{token:str}", name="confirm_email_change")
    async def confirm_email_change(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template | Redirect:
        try:
            await credentials.confirm_email_change(token, mailer=request.app.state.mailer, origin=origin_of(request))
        except credentials.EmailChangeRefused:
            return invalid_link_page()
        flash(request, _("Your email address is changed. Use the new one to sign in."), "success")
        return Redirect("/profile" if request.user is not None else "/login", status_code=303)
