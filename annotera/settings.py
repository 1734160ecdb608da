"""Annotera settings, read from the environment (12-factor).

Every switch between the one-machine default (SQLite, Celery's filesystem broker, models from
pip packages under ``var/models``) and a scaled-out install (PostgreSQL, Redis/RabbitMQ, GPU
workers with bigger Whisper models) is an environment variable; the code does not change.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ANNOTERA_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite and the embedded broker live here by default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    # Refuse to start in production with a guessable key rather than fall back silently.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "annotera",
    "taxonomy",
    "annotation",
    "qa",
    "people",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "annotera.middleware.ContentSecurityPolicyMiddleware",
    "annotera.middleware.NoStoreMiddleware",
    "annotera.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "annotera.urls"
WSGI_APPLICATION = "annotera.wsgi.application"
ASGI_APPLICATION = "annotera.asgi.application"

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
                "annotera.context_processors.roles",
                "annotera.context_processors.upload_limits",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'annotera.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file, not memory, so worker processes started by the tests see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Mail (invitations, password reset). The console backend prints messages to the server log, and
# the invitation page then shows the link itself; set EMAIL_BACKEND and EMAIL_HOST for real mail.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "annotera@localhost")
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 7)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: audio goes through access-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Uploads ----------------------------------------------------------------------------
# Django spools anything above this to disk instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
AUDIO_MAX_BYTES = env_int("AUDIO_MAX_BYTES", 500 * 1024 * 1024)
AUDIO_MAX_SECONDS = env_float("AUDIO_MAX_SECONDS", 4 * 3600)
AUDIO_MAX_CHANNELS = env_int("AUDIO_MAX_CHANNELS", 2)
# Whole multipart request (a batch of files); refused from its Content-Length before reading.
UPLOAD_MAX_REQUEST_BYTES = env_int("UPLOAD_MAX_REQUEST_BYTES", AUDIO_MAX_BYTES + 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "annotera.uploads.SizeLimitedUploadHandler",  # stops a file that streams past AUDIO_MAX_BYTES
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 50)

# --- Rate limits (cache-based; use a shared cache such as Redis when running several web processes)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache"
        if os.environ.get("CACHE_URL", "").startswith("redis")
        else "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": os.environ.get("CACHE_URL", "annotera"),
    }
}
# Failed password checks (login form, admin login, API token) per user name / per client address
# in a LOGIN_WINDOW_SECONDS window; successful sign-ins do not count (annotera.credentials).
LOGIN_RATE_LIMIT = env_int("LOGIN_RATE_LIMIT", 10)
LOGIN_IP_RATE_LIMIT = env_int("LOGIN_IP_RATE_LIMIT", 100)
LOGIN_WINDOW_SECONDS = env_int("LOGIN_WINDOW_SECONDS", 300)
# How many reverse proxies of ours append to X-Forwarded-For. 0 (the default): the header is
# ignored and the client address is the connection's; a client can then not choose its own.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AUTHENTICATION_BACKENDS = ["annotera.credentials.LockoutModelBackend"]
UPLOAD_RATE_LIMIT = env_int("UPLOAD_RATE_LIMIT", 60)  # upload requests per user, per minute

# --- Security (production) --------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie (the token is in hx-headers), but keep JS fetch() simple
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an API client without valid credentials gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies are measured (depth) before they are parsed: annotera.jsonlimits.
    "DEFAULT_PARSER_CLASSES": [
        "annotera.jsonlimits.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"uploads": f"{UPLOAD_RATE_LIMIT}/min"},
    # DRF's throttles read X-Forwarded-For only through this many trusted proxies (None would
    # believe whatever the client sends).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Annotera API",
    "VERSION": "0.1.0",
    # Serve Swagger UI from the installed sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two choice sets are both called "role": name each for what it is.
    "ENUM_NAME_OVERRIDES": {
        "InvitationRoleEnum": "people.models.Invitation.Role",
        "MembershipRoleEnum": "annotation.models.ProjectMembership.Role",
    },
}

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_DIR = Path(os.environ.get("CELERY_BROKER_DIR", VAR_DIR / "celery"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Exchange tables (broker state); kombu's default is ./control in the working directory.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Job reliability: a running job whose heartbeat is older than this is presumed dead and
# re-queued by the reaper, up to JOB_MAX_ATTEMPTS attempts in all.
JOB_STALE_SECONDS = env_float("JOB_STALE_SECONDS", 180.0)
JOB_QUEUED_STALE_SECONDS = env_float("JOB_QUEUED_STALE_SECONDS", 6 * 3600.0)
JOB_HEARTBEAT_SECONDS = env_float("JOB_HEARTBEAT_SECONDS", 10.0)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
REAPER_INTERVAL_SECONDS = env_float("REAPER_INTERVAL_SECONDS", 60.0)

# --- Machine pass (models) --------------------------------------------------------------
MODELS_DIR = Path(os.environ.get("MODELS_DIR", VAR_DIR / "models"))
# A name resolves to a directory under MODELS_DIR when one exists (the offline defaults
# "tiny.en" and "base"), otherwise it is passed to faster-whisper as is (e.g. "large-v3"
# on an install with hub access or a mounted model cache).
WHISPER_MODEL = os.environ.get("WHISPER_MODEL", "tiny.en")
WHISPER_LID_MODEL = os.environ.get("WHISPER_LID_MODEL", "base")
WHISPER_DEVICE = os.environ.get("WHISPER_DEVICE", "cpu")
# int16 where the CPU backend supports it (Intel MKL), else float32, which is as accurate
# (annotation.pipeline.asr.supported_compute_type). sample.wav WER: 16.0% with int8, 12.3% with
# int16 or float32, on an AVX-512 VNNI Xeon and on an AVX2 EPYC (which has no int16).
WHISPER_COMPUTE_TYPE = os.environ.get("WHISPER_COMPUTE_TYPE", "int16")
# The multilingual model (language identification, non-English speech): int8, as every language
# figure in benchmarks/ingest.py was measured with it.
WHISPER_LID_COMPUTE_TYPE = os.environ.get("WHISPER_LID_COMPUTE_TYPE", "int8")
WHISPER_BATCH_SIZE = env_int("WHISPER_BATCH_SIZE", 8)
WHISPER_THREADS = env_int("WHISPER_THREADS", 0)
WHISPER_ALIGN_MODEL_DIR = os.environ.get("WHISPER_ALIGN_MODEL_DIR", "")
DIARIZATION_MODEL = os.environ.get("DIARIZATION_MODEL", "")  # pyannote pipeline name/path
HF_TOKEN = os.environ.get("HF_TOKEN", "")
TURN_PAUSE_SPLIT_SECONDS = env_float("TURN_PAUSE_SPLIT_SECONDS", 1.5)
# Languages the calls are expected to be in (ISO 639-1, e.g. "en,es,hi"): language
# identification then chooses among them only (as Gladia's code-switching config does).
# Empty: any language Whisper knows.
LANGUAGE_CANDIDATES = env_list("LANGUAGE_CANDIDATES", [])
# The share of VAD speech that must lie inside turns; below it the turns stage logs an ERROR.
SPEECH_COVERAGE_MIN = env_float("SPEECH_COVERAGE_MIN", 0.99)
# Learning from annotators: train a per-project model once this many turns are annotated, and
# again after this many more.
SUGGEST_TRAIN_MIN_TURNS = env_int("SUGGEST_TRAIN_MIN_TURNS", 100)
SUGGEST_RETRAIN_EVERY = env_int("SUGGEST_RETRAIN_EVERY", 100)
# Suggested labels on annotated turns needed before the rules' confidence is recalibrated.
SUGGEST_CALIBRATION_MIN = env_int("SUGGEST_CALIBRATION_MIN", 40)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"client_errors_without_traceback": {"()": "annotera.logfilters.ClientErrorsWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Once, through the handler above (Django's own console handler printed every refusal twice).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # The filesystem transport has no host; kombu warns about that on every connection.
        "kombu.connection": {"level": "ERROR"},
    },
}
