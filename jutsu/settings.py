"""Django settings, built from the typed ``JutsuSettings`` object (``jutsu.conf.app_settings``).

Nothing here reads ``os.environ`` directly except through ``load_settings``; see the README's
configuration reference for every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta

from servestatic.compress import Compressor

from jutsu.conf.app_settings import BASE_DIR, load_settings
from jutsu.conf.database import database_config

JUTSU = load_settings()

DEBUG = JUTSU.debug
SECRET_KEY = JUTSU.secret_key
ALLOWED_HOSTS = JUTSU.allowed_hosts
CSRF_TRUSTED_ORIGINS = JUTSU.csrf_trusted_origins
JUTSU_CONFIG_DIR = JUTSU.config_dir
JUTSU_DATA_DIR = JUTSU.data_dir

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI shipped in the wheel: the docs need no CDN
    "django_celery_beat",
    "channels",
    "simple_history",
    "django_htmx",
    # ours, lowest layer first
    "jutsu.apps.JutsuConfig",
    "accounts",
    "strategies",
    "trading",
    "performance",
]

MIDDLEWARE = [
    "jutsu.middleware.ServerPathRedactionMiddleware",  # first, so it sees every response last
    "jutsu.middleware.ClientIPMiddleware",
    "jutsu.middleware.AccessLogMiddleware",
    "jutsu.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jutsu.middleware.SecurityHeadersMiddleware",
    "jutsu.middleware.ErrorPageMiddleware",  # after auth: the page's navigation knows the user
]

ROOT_URLCONF = "jutsu.urls"
ASGI_APPLICATION = "jutsu.asgi.application"
WSGI_APPLICATION = "jutsu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jutsu.context_processors.platform",
                "trading.context_processors.synthetic_data",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
# Workers and beat keep their PostgreSQL connections; the ASGI web process does not (jutsu/asgi.py).
DATABASES = {"default": database_config(JUTSU.database_url, persistent=not os.environ.get("JUTSU_ASGI_PROCESS"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTH_REQUIRED = JUTSU.auth_required

# --- i18n / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # storage is UTC; schedules and the trading calendar use MARKET_TIME_ZONE
MARKET_TIME_ZONE = "America/New_York"
USE_I18N = False
USE_TZ = True

# --- static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = JUTSU.data_dir / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "jutsu.staticfinders.VendoredAssetsFinder",
]
# Fingerprinted, gzip + brotli compressed, cached for ten years once `collectstatic` has run (serve runs it);
# before that, plain names served from the source folders (jutsu/staticstorage.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "jutsu.staticstorage.JutsuStaticFilesStorage"},
}
SERVESTATIC_USE_FINDERS = True  # serve straight from the app folders when collectstatic was not run
SERVESTATIC_KEEP_ONLY_HASHED_FILES = True  # STATIC_ROOT holds the hashed copies only (half the compression work)
# source maps are fetched by developer tools only: not worth brotli's best quality on every new version
SERVESTATIC_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
SERVESTATIC_USE_ZSTD = False
STATIC_BROTLI_QUALITY = 11  # the best ratio; ~10 s for plotly.min.js, once per version  # browsers ask for br/gzip; zstd would be a third copy of every file
SERVESTATIC_AUTOREFRESH = DEBUG

# --- HTTP limits and security ---------------------------------------------------------------------
MAX_REQUEST_SIZE = JUTSU.max_request_size
DATA_UPLOAD_MAX_MEMORY_SIZE = JUTSU.max_request_size
# The JSON policy for API bodies, WebSocket messages and JSON form fields (jutsu/json_limits.py).
JSON_MAX_DEPTH = 64
WEBSOCKET_MAX_MESSAGE_SIZE = 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
TRUSTED_PROXIES = JUTSU.trusted_proxies
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SAMESITE = "Lax"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
if JUTSU.environment != "development":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = JUTSU.is_production
    SECURE_REDIRECT_EXEMPT = [r"^api/status/(health|ready)$"]  # plain-HTTP probes from the orchestrator
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if JUTSU.is_production else 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = JUTSU.is_production
    # TLS terminates at the reverse proxy; trust its scheme header only from configured proxies.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- cache (rate limits, lockout counters): Redis when configured, else per-process memory --------
if JUTSU.redis_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": JUTSU.redis_url}}
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "jutsu"}}

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.PlatformPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["jutsu.json_limits.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "jutsu.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": SECRET_KEY,
    "USER_ID_CLAIM": "sub",
    "TOKEN_TYPE_CLAIM": "type",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jutsu Labs API",
    "DESCRIPTION": "Algorithmic trading platform: performance, strategies, backtests, control.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
DISABLE_DOCS = JUTSU.disable_docs
USE_DAILY_PERFORMANCE = JUTSU.use_daily_performance

# --- jobs (Celery + django-celery-beat) -------------------------------------------------------------
CELERY_BROKER_URL = JUTSU.broker_url
CELERY_RESULT_BACKEND = JUTSU.redis_url or None
CELERY_TIMEZONE = MARKET_TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "jutsu.beat:HeartbeatDatabaseScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 15
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "default"
JUTSU_BROKER_DIR = JUTSU.data_dir / "broker"
if JUTSU.embedded_jobs:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(JUTSU_BROKER_DIR / "queue"),
        "data_folder_out": str(JUTSU_BROKER_DIR / "queue"),
        "processed_folder": str(JUTSU_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(JUTSU_BROKER_DIR / "control"),
        # kombu polls the folder once a second by default; a worker would idle up to 1 s between two
        # queued tasks (an optimisation queues one task per trial), so poll ten times a second
        "polling_interval": 0.1,
    }
DJANGO_CELERY_BEAT_TZ_AWARE = True
JUTSU_HEARTBEAT_SECONDS = 15

# --- live events (Channels) --------------------------------------------------------------------------
if JUTSU.redis_url:
    # A socket's consumer waits on Redis with BZPOPMIN for 5 s at a time; redis-py's default read timeout is also
    # 5 s, so an idle socket's read could time out first and end the consumer. Give the read room to finish.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": JUTSU.redis_url, "socket_timeout": 30}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- logging -------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_secrets": {"()": "jutsu.logging.MaskSecretsFilter"}},
    "formatters": {
        "text": {"()": "jutsu.logging.TextFormatter"},
        "json": {"()": "jutsu.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": JUTSU.log_format,
            "filters": ["mask_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": JUTSU.log_level},
    "loggers": {
        "django.request": {"level": "ERROR"},  # our access log covers 4xx; 5xx traces stay in the log
        "django.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "celery": {"level": "INFO"},
    },
}

# WebAuthn relying party (passkeys)
WEBAUTHN_RP_ID = JUTSU.webauthn_rp_id
WEBAUTHN_RP_NAME = JUTSU.webauthn_rp_name
WEBAUTHN_ORIGIN = JUTSU.webauthn_origin
FERNET_KEYS = JUTSU.fernet_keys
# Schwab: the OAuth redirect URL registered with the app, and the account to trade (empty: the first one).
SCHWAB_CALLBACK_URL = JUTSU.schwab_callback_url
SCHWAB_ACCOUNT_HASH = JUTSU.schwab_account_hash

# --- accounts: authentication, 2FA, passkeys, rate limits -----------------------------------------
# Owned by the accounts app (docs/SECURITY.md explains the choices). One 2FA stack: django-allauth's
# ``mfa`` (TOTP + WebAuthn) under our own services; backup codes are ours (stored hashed).
# Before "accounts", so that our admin can replace allauth's Authenticator admin.
_ACCOUNTS_AT = INSTALLED_APPS.index("accounts")
INSTALLED_APPS[_ACCOUNTS_AT:_ACCOUNTS_AT] = ["allauth", "allauth.account", "allauth.mfa"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "allauth.account.middleware.AccountMiddleware",
)
# Every password check (pages, admin via allauth, API, Client.login) goes through the lockout backend.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend"]
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]  # sign-up itself is closed: invitations only
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn"]
MFA_FORMS = {"authenticate": "accounts.forms.SecondFactorCodeForm"}
MFA_PASSKEY_LOGIN_ENABLED = False  # pages: password first, then TOTP, a backup code or a passkey
MFA_TOTP_ISSUER = "Jutsu Labs"
MFA_TOTP_TOLERANCE = 1  # accept the previous/next 30-s step (clock drift, RFC 6238 §5.2)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
# Pages and API share one policy: our per-IP limit (django-ratelimit, resolver parameter
# security.login_rate_limit, 5/min) and the account lockout (10 failures → 30 min). allauth's own
# per-username "login_failed" limit (5 per 5 min) would pre-empt the lockout on pages, so it is off;
# its looser per-IP page limits stay as a second layer.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
RATELIMIT_USE_CACHE = "default"
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "accounts.authentication.AuditedJWTAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
SIMPLE_JWT.update(
    {
        "UPDATE_LAST_LOGIN": False,  # our login service sets last_login once the second factor passed
        "AUTH_HEADER_TYPES": ("Bearer",),
        "USER_ID_FIELD": "id",
        "CHECK_REVOKE_TOKEN": False,
    }
)
# drf-spectacular's views default to AllowAny; make the schema/docs obey their declared permission.
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["accounts.permissions.PlatformPermission"]
# Invitation tokens travel in URL paths; mask them in every log line (access log included).
LOGGING["filters"]["mask_auth_paths"] = {"()": "accounts.logging.MaskAuthPathsFilter"}
LOGGING["handlers"]["console"]["filters"].append("mask_auth_paths")
