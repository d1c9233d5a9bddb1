"""Reminders by WeChat subscription message: people accept templates on the phone
(wx.requestSubscribeMessage), each acceptance allowing one message (subscriptions);
`flask reminders send` sends what is due (reasons), each at most once (sending)."""
