"""eoffice: Hệ thống quản lý văn bản và điều hành for Vietnamese state agencies."""

__version__ = "0.1.0"
